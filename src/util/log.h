// The logger: one line per event a user may want to know of, on stderr, prefixed "fruits: ".
//
// Process-wide (the one global DESIGN.md allows): `--quiet` silences it for the whole run.
// Thread-safe; lines are never interleaved.
#pragma once

#include <string>

namespace fruits {

void SetLogQuiet(bool quiet);
void LogInfo(const std::string& line);
// Warnings are printed even when quiet.
void LogWarning(const std::string& line);

}  // namespace fruits
