// The `fruits` subcommands: each Add*Command registers its flags and action on the app.
//
// A command parses flags into options and calls the engine; it holds no logic of its own.
// Actions throw fruits::Error on failure; main() prints the message and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace fruits::cli {

// Exit status of a run that was stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report).
constexpr int kExitInterrupted = 130;

// Thrown by a command that finished its work but must end with a non-zero status; main() prints
// the message and exits with the code.
struct ExitRequest {
  int code;
  std::string message;
};

void AddInspectCommand(CLI::App& app);
void AddModelCommand(CLI::App& app);
void AddDatasetCommand(CLI::App& app);
// `command_line` is recorded in the run's manifest.
void AddExtractCommand(CLI::App& app, const std::string& command_line);
void AddPcaCommand(CLI::App& app);
void AddRunCommand(CLI::App& app, const std::string& command_line);

}  // namespace fruits::cli
