// The `fruits` subcommands: each Add*Command registers its flags and action on the app.
//
// A command parses flags into options and calls the engine; it holds no logic of its own.
// Actions throw fruits::Error on failure; main() prints the message and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>

namespace fruits::cli {

void AddInspectCommand(CLI::App& app);
void AddModelCommand(CLI::App& app);
void AddDatasetCommand(CLI::App& app);

}  // namespace fruits::cli
