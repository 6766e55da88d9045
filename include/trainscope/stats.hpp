#pragma once
/** Umbrella for stats/. */
