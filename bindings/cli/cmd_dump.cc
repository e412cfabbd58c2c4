// dump and load: every record with its version, to and from a dump file
// (dump_file.h).
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "bindings/cli/bytes.h"
#include "bindings/cli/cli.h"
#include "bindings/cli/dump_file.h"
#include "bindings/cli/progress.h"

namespace cairn::cli {
namespace {

// Records per write batch when loading, and the bytes that end one sooner
// (well under the default max_batch_bytes).
constexpr size_t kLoadBatchRecords = 1000;
constexpr size_t kLoadBatchBytes = 1 << 20;

// A FILE* closed on scope exit (not stdin/stdout).
struct File {
  FILE* f = nullptr;
  bool owned = false;
  ~File() {
    if (owned && f != nullptr) fclose(f);
  }
};

// An iterator over every record (tombstones too when asked), under one
// snapshot so a counting pass and the dump see the same records.
class RecordIterator {
 public:
  RecordIterator(const Database& db, cairn_snapshot_t* snapshot,
                 bool include_deleted) {
    cairn_readoptions_set_fill_cache(ro_.get(), 0);
    cairn_readoptions_set_snapshot(ro_.get(), snapshot);
    cairn_readoptions_set_include_deleted(ro_.get(), include_deleted ? 1 : 0);
    char* err = nullptr;
    Check(cairn_iter_create(db.get(), ro_.get(), &it_, &err), &err, "iterator");
    cairn_iter_seek_to_first(it_);
  }
  ~RecordIterator() { cairn_iter_destroy(it_); }
  RecordIterator(const RecordIterator&) = delete;
  RecordIterator& operator=(const RecordIterator&) = delete;
  bool Valid() const { return cairn_iter_valid(it_) != 0; }
  void Next() { cairn_iter_next(it_); }
  void Get(DumpRecord* r) const {
    size_t n = 0;
    const char* k = cairn_iter_key(it_, &n);
    r->key.assign(k, n);
    const char* v = cairn_iter_value(it_, &n);
    r->value.assign(v, n);
    r->kind = cairn_iter_deleted(it_) ? kDumpDelete : kDumpPut;
    cairn_iter_version(it_, &r->hlc, &r->node);
  }
  void CheckStatus() const {
    char* err = nullptr;
    Check(cairn_iter_status(it_, &err), &err, "reading the database");
  }

 private:
  std::unique_ptr<cairn_readoptions_t, void (*)(cairn_readoptions_t*)> ro_{
      cairn_readoptions_create(), cairn_readoptions_destroy};
  cairn_iterator_t* it_ = nullptr;
};

struct DumpArgs {
  std::string output = "-";
  bool include_deleted = false;
  bool force = false;
};

void Dump(const Globals& g, const DumpArgs& a) {
  File out;
  std::string name = a.output == "-" ? "<stdout>" : a.output;
  if (a.output == "-") {
    if (isatty(STDOUT_FILENO)) {
      throw CliError(kExitUsage,
                     "refusing to write a binary dump to a terminal; give "
                     "--output FILE or redirect stdout");
    }
    out.f = stdout;
  }
  Database db(g, false);
  if (a.output != "-") {
    struct stat st;
    if (!a.force && stat(a.output.c_str(), &st) == 0) {
      throw CliError(kExitRefused, "output " + a.output +
                                       " exists; give --force to overwrite it");
    }
    out.f = fopen(a.output.c_str(), "wb");
    if (out.f == nullptr) {
      throw CliError(kExitError,
                     "cannot create " + a.output + ": " + strerror(errno));
    }
    out.owned = true;
  }
  cairn_snapshot_t* snapshot = nullptr;
  char* err = nullptr;
  Check(cairn_snapshot_create(db.get(), &snapshot, &err), &err, "snapshot");
  std::unique_ptr<cairn_snapshot_t, void (*)(cairn_snapshot_t*)> release(
      snapshot, cairn_snapshot_release);

  const bool terminal = StderrIsTerminal();
  uint64_t total = 0;
  if (terminal) {  // a counting pass, for the bar's total and ETA
    for (RecordIterator it(db, snapshot, a.include_deleted); it.Valid();
         it.Next()) {
      ++total;
    }
  }
  Progress progress("dump", total, terminal);
  DumpWriter writer(out.f, name, a.include_deleted ? kDumpIncludesDeleted : 0);
  RecordIterator it(db, snapshot, a.include_deleted);
  DumpRecord r;
  uint64_t deleted = 0;
  for (; it.Valid(); it.Next()) {
    it.Get(&r);
    deleted += r.kind == kDumpDelete;
    writer.Add(r);
    progress.Update(writer.records());
  }
  it.CheckStatus();
  writer.Finish();
  progress.Finish();
  if (out.owned) {
    FILE* f = out.f;
    out.f = nullptr;
    if (fsync(fileno(f)) != 0 || fclose(f) != 0) {
      throw CliError(kExitError, "writing " + name + ": " + strerror(errno));
    }
  }
  if (terminal) {
    fprintf(stderr, "dumped %llu records (%llu deleted) to %s\n",
            static_cast<unsigned long long>(writer.records()),
            static_cast<unsigned long long>(deleted), name.c_str());
  }
}

struct LoadArgs {
  std::string input = "-";
  bool force = false;
  bool partial = false;
};

// stdin copied to an unlinked temporary file: loading reads its input twice
// (verify, then write), and a pipe cannot be re-read.
FILE* SpoolStdin() {
  const char* dir = std::getenv("TMPDIR");
  std::string path =
      std::string(dir && *dir ? dir : "/tmp") + "/cairn-load-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) {
    throw CliError(kExitError, "cannot create a temporary file in " + path +
                                   ": " + strerror(errno));
  }
  unlink(path.c_str());
  FILE* f = fdopen(fd, "w+b");
  if (f == nullptr) {
    close(fd);
    throw CliError(kExitError,
                   std::string("spooling stdin: ") + strerror(errno));
  }
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    if (fwrite(buf, 1, n, f) != n) {
      fclose(f);
      throw CliError(kExitError,
                     std::string("spooling stdin: ") + strerror(errno));
    }
  }
  if (ferror(stdin)) {
    fclose(f);
    throw CliError(kExitError,
                   std::string("reading stdin: ") + strerror(errno));
  }
  rewind(f);
  return f;
}

bool IsEmpty(const Database& db) {
  RecordIterator it(db, nullptr, /*include_deleted=*/true);
  it.CheckStatus();
  return !it.Valid();
}

// Applies the batch and clears it.
void Flush(const Database& db, cairn_writebatch_t* batch, size_t* bytes) {
  if (cairn_writebatch_count(batch) == 0) return;
  char* err = nullptr;
  Check(cairn_write(db.get(), nullptr, batch, &err), &err, "load");
  cairn_writebatch_clear(batch);
  *bytes = 0;
}

void Load(const Globals& g, const LoadArgs& a) {
  File in;
  std::string name = a.input == "-" ? "<stdin>" : a.input;
  if (a.input == "-") {
    in.f = SpoolStdin();
  } else {
    in.f = fopen(a.input.c_str(), "rb");
    if (in.f == nullptr) {
      throw CliError(errno == ENOENT ? kExitNotFound : kExitError,
                     "cannot open " + a.input + ": " + strerror(errno));
    }
  }
  in.owned = true;
  const bool terminal = StderrIsTerminal();
  uint64_t total = 0;
  DumpRecord r;
  if (!a.partial) {
    // Verify the whole file before touching (or creating) the database.
    DumpReader check(in.f, name);
    while (check.Next(&r)) {
    }
    total = check.records();
    rewind(in.f);
  }
  Database db(g, /*create=*/true);
  if (!a.force && !IsEmpty(db)) {
    throw CliError(kExitRefused,
                   "database " + db.path() +
                       " is not empty; give --force to add the dump's records "
                       "to it (a record replaces a stored one only if its "
                       "version is newer)");
  }
  Progress progress("load", total, terminal);
  DumpReader reader(in.f, name);
  cairn_writebatch_t* batch = cairn_writebatch_create();
  std::unique_ptr<cairn_writebatch_t, void (*)(cairn_writebatch_t*)> own(
      batch, cairn_writebatch_destroy);
  size_t bytes = 0;
  uint64_t loaded = 0, deleted = 0;
  try {
    while (reader.Next(&r)) {
      char* err = nullptr;
      cairn_status_t s =
          r.kind == kDumpDelete
              ? cairn_writebatch_delete_versioned(
                    batch, r.key.data(), r.key.size(), r.hlc, r.node, &err)
              : cairn_writebatch_put_versioned(
                    batch, r.key.data(), r.key.size(), r.value.data(),
                    r.value.size(), r.hlc, r.node, &err);
      Check(s, &err,
            name + ": record " + std::to_string(reader.records()) + " (key '" +
                Escape(r.key) + "')");
      bytes += r.key.size() + r.value.size();
      deleted += r.kind == kDumpDelete;
      if (cairn_writebatch_count(batch) >= kLoadBatchRecords ||
          bytes >= kLoadBatchBytes) {
        loaded += cairn_writebatch_count(batch);
        Flush(db, batch, &bytes);
      }
      progress.Update(loaded + cairn_writebatch_count(batch));
    }
  } catch (const CliError& e) {
    if (!a.partial) throw;
    // --partial: keep every record before the damaged one.
    loaded += cairn_writebatch_count(batch);
    Flush(db, batch, &bytes);
    progress.Finish();
    throw CliError(e.exit_code(), std::string(e.what()) +
                                      " (--partial: " + std::to_string(loaded) +
                                      " records before it were loaded)");
  }
  loaded += cairn_writebatch_count(batch);
  Flush(db, batch, &bytes);
  progress.Finish();
  if (terminal) {
    fprintf(stderr, "loaded %llu records (%llu deleted) from %s\n",
            static_cast<unsigned long long>(loaded),
            static_cast<unsigned long long>(deleted), name.c_str());
  }
}

}  // namespace

void AddDumpCommands(CLI::App& app, Globals& g) {
  {
    auto* cmd = app.add_subcommand(
        "dump", "Write every record with its version to a checksummed dump");
    auto a = std::make_shared<DumpArgs>();
    cmd->add_option("--output", a->output, "Dump file, or - for stdout")
        ->capture_default_str();
    cmd->add_flag("--include-deleted", a->include_deleted,
                  "Include deleted keys (versioned tombstones)");
    cmd->add_flag("--force", a->force, "Overwrite an existing output file");
    cmd->callback([&g, a] { Dump(g, *a); });
  }
  {
    auto* cmd = app.add_subcommand(
        "load",
        "Write a dump's records, with their versions, into a database "
        "(created if missing)");
    auto a = std::make_shared<LoadArgs>();
    cmd->add_option("--input", a->input, "Dump file, or - for stdin")
        ->capture_default_str();
    cmd->add_flag("--force", a->force, "Load into a database that has records");
    cmd->add_flag("--partial", a->partial,
                  "On a damaged file, keep the records before the damage "
                  "(default: verify first, load nothing)");
    cmd->callback([&g, a] { Load(g, *a); });
  }
}

}  // namespace cairn::cli
