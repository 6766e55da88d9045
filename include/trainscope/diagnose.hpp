#pragma once
/** Umbrella for diagnose/. */
