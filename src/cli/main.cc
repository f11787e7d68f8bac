// The `fruits` command: parses the command line and runs one subcommand.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "dist/communicator.h"
#include "util/error.h"
#include "util/version.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

std::string VersionText() {
  return std::string("fruits ") + fruits::kVersion + " (git " + fruits::kGitRevision + ", " +
         fruits::kBuildType + " build)";
}

// Parses the command line and runs the command; returns the exit status. `failed` says whether
// an error ended the command (as opposed to a status the command chose).
int Run(CLI::App& app, int argc, char** argv, bool& failed) {
  failed = true;
  try {
    app.parse(argc, argv);
  } catch (const fruits::cli::ExitRequest& request) {
    std::fprintf(stderr, "fruits: %s\n", request.what());
    failed = false;
    return request.code();
  } catch (const CLI::ParseError& e) {
    failed = false;  // every process parses the same flags and stops alike
    return app.exit(e) == 0 ? 0 : kExitUsage;
  } catch (const fruits::UsageError& e) {
    std::fprintf(stderr, "fruits: %s\n", e.what());
    return kExitUsage;
  } catch (const fruits::Error& e) {
    std::fprintf(stderr, "fruits: %s\n", e.what());
    return kExitFailure;
  } catch (const std::exception& e) {
    // Every failure we expect is a fruits::Error with a message for the user; anything else
    // escaped a library unexplained.
    std::fprintf(stderr, "fruits: internal error, a bug in fruits (please report it): %s\n",
                 e.what());
    return kExitFailure;
  }
  failed = false;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<fruits::dist::Communicator> comm;
  try {
    comm = fruits::dist::ConnectProcesses(&argc, &argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fruits: %s\n", e.what());
    return kExitFailure;
  }
  CLI::App app(
      "fruits turns image collections into compact features and a classifier:\n"
      "images -> CNN embeddings -> exact PCA -> Parquet -> a trained, evaluated classifier, on "
      "one machine or many (MPI: run it under mpirun).",
      "fruits");
  app.set_version_flag("--version", VersionText());
  app.require_subcommand(1);
  app.footer("Run 'fruits COMMAND --help' for a command's flags.");
  std::string command_line = "fruits";
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
  fruits::cli::AddRunCommand(app, command_line, *comm);
  fruits::cli::AddExtractCommand(app, command_line, *comm);
  fruits::cli::AddPcaCommand(app, *comm);
  fruits::cli::AddClassifyCommands(app, *comm);
  fruits::cli::AddAppCommands(app);
  fruits::cli::AddServeCommand(app);
  fruits::cli::AddReportCommand(app);
  fruits::cli::AddInspectCommand(app);
  fruits::cli::AddModelCommand(app);
  fruits::cli::AddDatasetCommand(app);

  bool failed = false;
  const int status = Run(app, argc, argv, failed);
  // An error on one process leaves the others waiting for it: end them all with its status.
  if (failed && comm->size() > 1) comm->Abort(status);
  return status;
}
