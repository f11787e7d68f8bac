#include "storage/s3/s3_writable_file.h"

#include <sstream>

#include "storage/s3/s3_xml.h"
#include "util/error.h"
#include "util/log.h"

namespace fruits::storage {

S3WritableFile::S3WritableFile(S3Client& client, S3Location location)
    : client_(client), location_(std::move(location)), uri_(location_.Uri()) {}

S3WritableFile::~S3WritableFile() {
  if (committed_ || upload_id_.empty()) return;
  try {
    AbortUpload();
  } catch (const std::exception& e) {  // credentials gone, out of memory: nothing more to do
    LogWarning("could not abort the unfinished multipart upload of " + uri_ + ": " + e.what());
  }
}

void S3WritableFile::CheckWritable() const {
  if (committed_) throw Error("internal: " + uri_ + " was written to after Commit()");
  if (failed_) throw Error("cannot write " + uri_ + ": an earlier part failed to upload");
}

void S3WritableFile::Append(std::string_view data) {
  CheckWritable();
  buffer_.append(data);
  size_ += data.size();
  uint64_t part_size = client_.options().multipart_threshold;
  if (buffer_.size() <= part_size) return;
  failed_ = true;  // until the parts below are sent
  if (upload_id_.empty()) StartUpload();
  size_t sent = 0;
  // Keep at least one byte back so Commit() always has a last part to send.
  while (buffer_.size() - sent > part_size) {
    UploadPart(std::string_view(buffer_).substr(sent, part_size));
    sent += part_size;
  }
  buffer_.erase(0, sent);
  failed_ = false;
}

void S3WritableFile::Commit() {
  CheckWritable();
  failed_ = true;  // until the object is complete
  if (upload_id_.empty()) {
    client_.CallExpecting(
        {.method = "PUT", .location = location_, .headers = EncryptionHeaders(), .body = buffer_},
        {200}, "upload " + uri_);
  } else {
    UploadPart(buffer_);
    CompleteUpload();
  }
  committed_ = true;
  failed_ = false;
  buffer_ = std::string();
}

std::vector<std::pair<std::string, std::string>> S3WritableFile::EncryptionHeaders() const {
  const S3Options& options = client_.options();
  std::vector<std::pair<std::string, std::string>> headers;
  if (options.sse == "none") return headers;
  headers.emplace_back("x-amz-server-side-encryption", options.sse);
  if (!options.sse_kms_key_id.empty()) {
    headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", options.sse_kms_key_id);
  }
  return headers;
}

void S3WritableFile::StartUpload() {
  HttpResponse response = client_.CallExpecting({.method = "POST",
                                                 .location = location_,
                                                 .query = {{"uploads", ""}},
                                                 .headers = EncryptionHeaders()},
                                                {200}, "start a multipart upload of " + uri_);
  Result<std::string> upload_id = ParseInitiateMultipartUpload(response.body);
  if (!upload_id.ok()) {
    throw Error("cannot start a multipart upload of " + uri_ + ": " + upload_id.error());
  }
  upload_id_ = std::move(upload_id).value();
}

void S3WritableFile::UploadPart(std::string_view bytes) {
  std::string part_number = std::to_string(part_etags_.size() + 1);
  HttpResponse response =
      client_.CallExpecting({.method = "PUT",
                             .location = location_,
                             .query = {{"partNumber", part_number}, {"uploadId", upload_id_}},
                             .body = bytes},
                            {200}, "upload a part of " + uri_);
  std::string etag = response.Header("etag");
  if (etag.empty())
    throw Error("cannot upload part " + part_number + " of " + uri_ + ": S3 gave no ETag");
  part_etags_.push_back(etag);
}

void S3WritableFile::CompleteUpload() {
  std::ostringstream body;
  body << "<CompleteMultipartUpload>";
  for (size_t i = 0; i < part_etags_.size(); ++i) {
    body << "<Part><PartNumber>" << i + 1 << "</PartNumber><ETag>" << part_etags_[i]
         << "</ETag></Part>";
  }
  body << "</CompleteMultipartUpload>";
  std::string xml = body.str();
  // S3 may answer 200 and report an error in the body (it answers slowly, sending spaces to keep
  // the connection open): that one is retried here, since the status says nothing.
  const S3Request request{
      .method = "POST", .location = location_, .query = {{"uploadId", upload_id_}}, .body = xml};
  for (int attempt = 1;; ++attempt) {
    HttpOutcome outcome = client_.Call(request);
    if (outcome.ok() && outcome.value().status == 404 &&
        S3ErrorCode(outcome.value()) == "NoSuchUpload" && IsComplete()) {
      return;  // An earlier attempt completed it, but its answer was lost.
    }
    HttpResponse response = client_.Expect(std::move(outcome), request, {200},
                                           "complete the multipart upload of " + uri_);
    Result<std::string> completed = ParseCompleteMultipartUpload(response.body);
    if (completed.ok()) return;
    if (attempt >= client_.options().max_attempts) {
      throw Error("cannot complete the multipart upload of " + uri_ + ": " + completed.error());
    }
  }
}

bool S3WritableFile::IsComplete() {
  HttpOutcome head = client_.Call({.method = "HEAD", .location = location_});
  return head.ok() && head.value().status == 200 &&
         head.value().Header("content-length") == std::to_string(size_);
}

void S3WritableFile::AbortUpload() {
  HttpOutcome outcome = client_.Call(
      {.method = "DELETE", .location = location_, .query = {{"uploadId", upload_id_}}});
  if (!outcome.ok() || outcome.value().status >= 300) {
    LogWarning("could not abort the unfinished multipart upload of " + uri_ +
               "; its parts stay until a lifecycle rule removes them");
  }
}

}  // namespace fruits::storage
