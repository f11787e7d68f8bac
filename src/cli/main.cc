// The `fruits` command: parses the command line and runs one subcommand.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "util/error.h"
#include "util/version.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

std::string VersionText() {
  return std::string("fruits ") + fruits::kVersion + " (git " + fruits::kGitRevision + ", " +
         fruits::kBuildType + " build)";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "fruits turns image collections into compact features:\n"
      "images -> CNN embeddings -> exact PCA -> Parquet, on one machine or many (MPI).",
      "fruits");
  app.set_version_flag("--version", VersionText());
  app.require_subcommand(1);
  app.footer("Run 'fruits COMMAND --help' for a command's flags.");
  std::string command_line = "fruits";
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
  fruits::cli::AddRunCommand(app, command_line);
  fruits::cli::AddExtractCommand(app, command_line);
  fruits::cli::AddPcaCommand(app);
  fruits::cli::AddInspectCommand(app);
  fruits::cli::AddModelCommand(app);
  fruits::cli::AddDatasetCommand(app);

  try {
    app.parse(argc, argv);
  } catch (const fruits::cli::ExitRequest& request) {
    std::fprintf(stderr, "fruits: %s\n", request.message.c_str());
    return request.code;
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  } catch (const fruits::UsageError& e) {
    std::fprintf(stderr, "fruits: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fruits: %s\n", e.what());
    return kExitFailure;
  }
  return 0;
}
