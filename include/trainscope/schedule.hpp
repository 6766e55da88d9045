#pragma once
/** Umbrella for schedule/. */
