// DuckDB as the independent Parquet reader of our tests (tests/references/duckdb_read.mjs).
//
// Returns the script's JSON: {"columns": [{"name", "type"}], "rows": [[...]], "num_rows",
// "row_groups", "key_value_metadata": {...}}; int64 values come as decimal strings, NaN and
// infinities as the strings "NaN", "Infinity", "-Infinity". Fails the test if DuckDB fails.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/run_command.h"

namespace fruits::testing {

// `sql` may use the view `file`, e.g. "SELECT count(*) FROM file"; empty means every row.
inline nlohmann::json DuckDbRead(const std::string& parquet_path, const std::string& sql = "") {
  std::string command =
      "node " + ShellQuote(std::string(FRUITS_SOURCE_DIR) + "/tests/references/duckdb_read.mjs") +
      " " + ShellQuote(parquet_path);
  if (!sql.empty()) command += " --sql " + ShellQuote(sql);
  CommandResult r = RunCommand(command);
  EXPECT_EQ(r.exit_code, 0) << "DuckDB could not read " << parquet_path << ": " << r.err;
  if (r.exit_code != 0) return nlohmann::json::object();
  return nlohmann::json::parse(r.out);
}

}  // namespace fruits::testing
