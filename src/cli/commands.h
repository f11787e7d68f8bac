// The `fruits` subcommands: each Add*Command registers its flags and action on the app.
//
// A command parses flags into options and calls the engine; it holds no logic of its own.
// Actions throw fruits::Error on failure; main() prints the message and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "dist/communicator.h"
#include "util/error.h"

namespace fruits::cli {

// Exit status of a run that was stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report).
constexpr int kExitInterrupted = 130;

// Thrown by a command that finished its work but must end with a non-zero status (an
// interrupted run, --fail-on-error): a fruits::Error that carries the status; main() prints the
// message and exits with the code, on this process only (the others end alike).
class ExitRequest : public Error {
 public:
  ExitRequest(int code, const std::string& message) : Error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

void AddInspectCommand(CLI::App& app);
void AddModelCommand(CLI::App& app);
// `fruits model quantize`, under the `model` command.
void AddModelQuantizeCommand(CLI::App& model);
void AddDatasetCommand(CLI::App& app);
// `command_line` is recorded in the run's manifest; `comm` is this process's place in the job
// (one process without mpirun).
void AddExtractCommand(CLI::App& app, const std::string& command_line, dist::Communicator& comm);
void AddPcaCommand(CLI::App& app, dist::Communicator& comm);
void AddClassifyCommands(CLI::App& app, dist::Communicator& comm);
// `fruits export` and `fruits classify`: the app model.
void AddAppCommands(CLI::App& app);
void AddRunCommand(CLI::App& app, const std::string& command_line, dist::Communicator& comm);
void AddServeCommand(CLI::App& app);
// `fruits report`: a run's HTML report.
void AddReportCommand(CLI::App& app);

}  // namespace fruits::cli
