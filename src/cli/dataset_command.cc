// `fruits dataset sample`: placeholder until the sample generator lands.

#include "cli/commands.h"

namespace fruits::cli {

void AddDatasetCommand(CLI::App& app) { app.add_subcommand("dataset", "Synthetic datasets"); }

}  // namespace fruits::cli
