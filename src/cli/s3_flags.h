// The S3 flags every command that reads or writes paths takes, and the store they configure.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "storage/s3/s3_options.h"
#include "storage/store_registry.h"

namespace fruits::cli {

void AddS3Flags(CLI::App& cmd, storage::S3Options& options);
// The store for local paths and, in a build with S3 (FRUITS_WITH_S3), s3:// URIs; the endpoint
// comes from --s3-endpoint, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL. Throws UsageError for
// a bad S3 flag. A new store registers here, beside S3.
std::unique_ptr<storage::StoreRegistry> OpenStores(storage::S3Options options);

}  // namespace fruits::cli
