#pragma once
/** Umbrella for report/. */
