#pragma once
/** Umbrella for io/. */
