#include "domain/config/config.h"

namespace devloop::config {

std::ostream& operator<<(std::ostream& os, const SourcePos& pos) {
  return os << pos.file << ":" << pos.line << ":" << pos.column;
}

const char* GitCommitVariantName(GitCommitVariant v) {
  switch (v) {
    case GitCommitVariant::kTags:
      return "Tags";
    case GitCommitVariant::kCommitSha:
      return "CommitSha";
    case GitCommitVariant::kAbbrevCommitSha:
      return "AbbrevCommitSha";
    case GitCommitVariant::kTreeSha:
      return "TreeSha";
    case GitCommitVariant::kAbbrevTreeSha:
      return "AbbrevTreeSha";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, GitCommitVariant v) {
  return os << GitCommitVariantName(v);
}

}  // namespace devloop::config
