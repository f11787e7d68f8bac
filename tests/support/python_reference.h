// Running an independent reference under Debian's Python (/usr/bin/python3, where torch,
// torchvision, scikit-learn, Pillow and numpy are; the python3 first on PATH lacks them).
#pragma once

#include <string>

#include "support/run_command.h"

namespace fruits::testing {

// tests/references/SCRIPT ARGS (ARGS already quoted for the shell).
inline CommandResult RunPythonReference(const std::string& script, const std::string& args) {
  return RunCommand("/usr/bin/python3 " +
                    ShellQuote(std::string(FRUITS_SOURCE_DIR) + "/tests/references/" + script) +
                    " " + args);
}

}  // namespace fruits::testing
