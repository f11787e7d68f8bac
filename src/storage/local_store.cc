#include "storage/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "util/error.h"

namespace fruits::storage {

namespace {

namespace fs = std::filesystem;

Error IoError(const std::string& what, const std::string& path, int error_number) {
  return Error(what + " '" + path + "': " + std::strerror(error_number));
}

// Distinguishes temporaries of concurrent writers in one process.
std::atomic<uint64_t> temp_counter{0};

// Small appends gather here; a Parquet footer or magic number is not worth a system call each.
constexpr size_t kBufferBytes = 1 << 20;

class LocalWritableFile : public WritableFile {
 public:
  LocalWritableFile(std::string path, std::string temp_path, int fd)
      : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}

  ~LocalWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_path_.c_str());
  }

  void Append(std::string_view data) override {
    size_ += data.size();
    if (buffer_.size() + data.size() <= kBufferBytes) {
      buffer_.append(data);
      return;
    }
    Flush();
    if (data.size() >= kBufferBytes) {
      WriteAll(data);
    } else {
      buffer_.append(data);
    }
  }

  void Commit() override {
    Flush();
    if (::fsync(fd_) != 0) throw IoError("cannot flush", path_, errno);
    ::close(fd_);
    fd_ = -1;
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      throw IoError("cannot publish", path_, errno);
    }
    committed_ = true;
  }

  uint64_t size() const override { return size_; }
  const std::string& uri() const override { return path_; }

 private:
  void Flush() {
    WriteAll(buffer_);
    buffer_.clear();
  }

  void WriteAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw IoError("cannot write", path_, errno);
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  std::string path_;
  std::string temp_path_;
  int fd_;
  std::string buffer_;
  uint64_t size_ = 0;
  bool committed_ = false;
};

class LocalRandomAccessFile : public RandomAccessFile {
 public:
  LocalRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~LocalRandomAccessFile() override { ::close(fd_); }

  uint64_t size() const override { return size_; }

  void ReadAt(uint64_t offset, size_t length, std::string* out) const override {
    if (offset > size_ || length > size_ - offset) {
      throw Error("read past the end of '" + path_ + "'");
    }
    out->resize(length);
    size_t done = 0;
    while (done < length) {
      ssize_t n =
          ::pread(fd_, out->data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw IoError("cannot read", path_, errno);
      if (n == 0) throw Error("'" + path_ + "' became shorter while being read");
      done += static_cast<size_t>(n);
    }
  }

  const std::string& uri() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

// Depth-first walk of a folder in name order; `visited` holds (device, inode) of folders seen, so
// a folder reached twice (a symbolic link loop, or two links to one folder) is listed once, under
// the first name in that order: the result does not depend on the file system's order.
void ListFolder(const fs::path& folder, std::set<std::pair<dev_t, ino_t>>& visited,
                std::vector<ObjectInfo>& out) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->path().filename().string().starts_with(".")) entries.push_back(it->path());
  }
  std::sort(entries.begin(), entries.end());
  for (const fs::path& path : entries) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;  // a dangling link
    if (S_ISDIR(st.st_mode)) {
      if (visited.insert({st.st_dev, st.st_ino}).second) ListFolder(path, visited, out);
    } else if (S_ISREG(st.st_mode)) {
      out.push_back({path.string(), static_cast<uint64_t>(st.st_size)});
    }
  }
}

}  // namespace

std::vector<ObjectInfo> LocalStore::List(const std::string& folder) {
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0) throw IoError("cannot list", folder, errno);
  if (!S_ISDIR(st.st_mode)) throw Error("'" + folder + "' is not a folder");
  std::set<std::pair<dev_t, ino_t>> visited{{st.st_dev, st.st_ino}};
  std::vector<ObjectInfo> objects;
  ListFolder(folder, visited, objects);
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.uri < b.uri; });
  return objects;
}

Result<std::string> ReadLocalFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Result<std::string>::Failure(std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return Result<std::string>::Failure(std::strerror(error));
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

Result<std::string> LocalStore::Read(const std::string& path) { return ReadLocalFile(path); }

std::unique_ptr<WritableFile> LocalStore::NewWritableFile(const std::string& path) {
  fs::path target(path);
  if (target.filename().empty()) throw UsageError("'" + path + "' names a folder, not a file");
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  if (ec) throw Error("cannot create the folder for '" + path + "': " + ec.message());
  std::string temp_name = ".";  // hidden, so listings skip it
  temp_name.append(target.filename().string())
      .append(".tmp-")
      .append(std::to_string(::getpid()))
      .append("-")
      .append(std::to_string(temp_counter++));
  fs::path temp = target.parent_path() / temp_name;
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("cannot create", path, errno);
  return std::make_unique<LocalWritableFile>(path, temp.string(), fd);
}

std::unique_ptr<RandomAccessFile> LocalStore::NewRandomAccessFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error("'" + path + "' is not a regular file");
  }
  return std::make_unique<LocalRandomAccessFile>(path, fd, static_cast<uint64_t>(st.st_size));
}

bool LocalStore::Exists(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  // ENOENT: nothing there; ENOTDIR: a component is a file, so nothing can be below it. Anything
  // else (EACCES, ELOOP, EIO...) leaves the question open.
  int error_number = errno;
  if (error_number == ENOENT || error_number == ENOTDIR) return false;
  throw Error("cannot tell whether '" + path + "' exists: " + std::strerror(error_number));
}

void LocalStore::Remove(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) throw Error("cannot remove '" + path + "': " + ec.message());
}

}  // namespace fruits::storage
