#include "storage/s3/s3_xml.h"

#include <pugixml.hpp>

namespace fruits::storage {
namespace {

// Parses `xml` into `document`; false when it is not well-formed.
bool Load(std::string_view xml, pugi::xml_document& document) {
  return static_cast<bool>(document.load_buffer(xml.data(), xml.size()));
}

std::string Text(pugi::xml_node node, const char* child) {
  return node.child(child).text().as_string();
}

}  // namespace

Result<ListObjectsPage> ParseListObjectsV2(std::string_view xml) {
  pugi::xml_document document;
  pugi::xml_node result;
  if (!Load(xml, document) || !(result = document.child("ListBucketResult"))) {
    return Result<ListObjectsPage>::Failure("the answer is not the XML of ListObjectsV2");
  }
  ListObjectsPage page;
  for (pugi::xml_node content : result.children("Contents")) {
    page.objects.push_back({Text(content, "Key"), content.child("Size").text().as_ullong()});
  }
  page.is_truncated = result.child("IsTruncated").text().as_bool();
  page.next_continuation_token = Text(result, "NextContinuationToken");
  return page;
}

Result<S3ErrorBody> ParseS3Error(std::string_view xml) {
  pugi::xml_document document;
  pugi::xml_node error;
  if (!Load(xml, document) || !(error = document.child("Error"))) {
    return Result<S3ErrorBody>::Failure("the answer is not an S3 <Error> document");
  }
  return S3ErrorBody{.code = Text(error, "Code"),
                     .message = Text(error, "Message"),
                     .region = Text(error, "Region")};
}

Result<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  pugi::xml_document document;
  if (!Load(xml, document)) return Result<std::string>::Failure("the answer is not XML");
  std::string upload_id = Text(document.child("InitiateMultipartUploadResult"), "UploadId");
  if (upload_id.empty()) return Result<std::string>::Failure("S3 gave no UploadId");
  return upload_id;
}

Result<std::string> ParseCompleteMultipartUpload(std::string_view xml) {
  pugi::xml_document document;
  if (!Load(xml, document)) return Result<std::string>::Failure("the answer is not XML");
  if (pugi::xml_node error = document.child("Error")) {
    std::string code = Text(error, "Code");
    std::string message = Text(error, "Message");
    return Result<std::string>::Failure("S3 reported " + (code.empty() ? "an error" : code) +
                                        (message.empty() ? "" : " (" + message + ")"));
  }
  return Text(document.child("CompleteMultipartUploadResult"), "ETag");
}

}  // namespace fruits::storage
