#include "infra/build/tagger.h"

#include <cstdlib>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "infra/fs/context_hash.h"
#include "infra/log/log.h"
#include "infra/log/redact.h"

namespace devloop::build {
namespace {

constexpr absl::string_view kLatest = "latest";

const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};
const char* const kWeekdays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                 "Friday", "Saturday", "Sunday"};  // absl::Weekday order

int WeekdayIndex(absl::Weekday d) {
  switch (d) {
    case absl::Weekday::monday: return 0;
    case absl::Weekday::tuesday: return 1;
    case absl::Weekday::wednesday: return 2;
    case absl::Weekday::thursday: return 3;
    case absl::Weekday::friday: return 4;
    case absl::Weekday::saturday: return 5;
    case absl::Weekday::sunday: return 6;
  }
  return 0;
}

// "-0700" and its variants; `z` prints "Z" for UTC instead of "+0000".
std::string FormatOffset(int offset_seconds, bool z, bool colon, bool with_minutes,
                         bool with_seconds) {
  if (z && offset_seconds == 0) return "Z";
  const char sign = offset_seconds < 0 ? '-' : '+';
  const int abs_offset = std::abs(offset_seconds);
  std::string out = absl::StrFormat("%c%02d", sign, abs_offset / 3600);
  if (with_minutes) absl::StrAppendFormat(&out, "%s%02d", colon ? ":" : "", abs_offset / 60 % 60);
  if (with_seconds) absl::StrAppendFormat(&out, "%s%02d", colon ? ":" : "", abs_offset % 60);
  return out;
}

bool IsDigit(absl::string_view s, size_t i) { return i < s.size() && absl::ascii_isdigit(s[i]); }

std::string PolicyNameOf(const config::TagPolicy& policy) {
  switch (policy.index()) {
    case 0: return "gitCommit";
    case 1: return "sha256";
    case 2: return "inputDigest";
    case 3: return "envTemplate";
    case 4: return "dateTime";
  }
  return "unknown";
}

}  // namespace

std::string FormatGoTime(absl::string_view layout, absl::Time t, absl::TimeZone zone) {
  const absl::TimeZone::CivilInfo info = zone.At(t);
  const absl::CivilSecond cs = info.cs;
  const int hour12 = cs.hour() % 12 == 0 ? 12 : cs.hour() % 12;
  std::string out;
  size_t i = 0;
  auto at = [&](absl::string_view token) { return absl::StartsWith(layout.substr(i), token); };
  while (i < layout.size()) {
    const char c = layout[i];
    // Longest tokens first, in the order Go's parser tries them.
    if (at("January")) {
      out += kMonths[cs.month() - 1];
      i += 7;
    } else if (at("Jan")) {
      out.append(kMonths[cs.month() - 1], 3);
      i += 3;
    } else if (at("Monday")) {
      out += kWeekdays[WeekdayIndex(absl::GetWeekday(cs))];
      i += 6;
    } else if (at("Mon")) {
      out.append(kWeekdays[WeekdayIndex(absl::GetWeekday(cs))], 3);
      i += 3;
    } else if (at("MST")) {
      // Go prints the offset when the zone has no abbreviation.
      const absl::string_view abbr = info.zone_abbr == nullptr ? "" : info.zone_abbr;
      const bool named = !abbr.empty() && abbr[0] != '+' && abbr[0] != '-';
      out += named ? std::string(abbr)
                   : FormatOffset(info.offset, false, false, true, false);
      i += 3;
    } else if (at("2006")) {
      absl::StrAppendFormat(&out, "%04d", cs.year());
      i += 4;
    } else if (at("002")) {
      absl::StrAppendFormat(&out, "%03d", absl::GetYearDay(absl::CivilDay(cs)));
      i += 3;
    } else if (c == '0' && i + 1 < layout.size() && layout[i + 1] >= '1' && layout[i + 1] <= '6') {
      switch (layout[i + 1]) {
        case '1': absl::StrAppendFormat(&out, "%02d", cs.month()); break;
        case '2': absl::StrAppendFormat(&out, "%02d", cs.day()); break;
        case '3': absl::StrAppendFormat(&out, "%02d", hour12); break;
        case '4': absl::StrAppendFormat(&out, "%02d", cs.minute()); break;
        case '5': absl::StrAppendFormat(&out, "%02d", cs.second()); break;
        case '6': absl::StrAppendFormat(&out, "%02d", cs.year() % 100); break;
      }
      i += 2;
    } else if (at("15")) {
      absl::StrAppendFormat(&out, "%02d", cs.hour());
      i += 2;
    } else if (c == '1') {
      absl::StrAppend(&out, cs.month());
      i += 1;
    } else if (c == '2') {
      absl::StrAppend(&out, cs.day());
      i += 1;
    } else if (at("__2")) {
      absl::StrAppendFormat(&out, "%3d", absl::GetYearDay(absl::CivilDay(cs)));
      i += 3;
    } else if (at("_2") && !at("_2006")) {
      absl::StrAppendFormat(&out, "%2d", cs.day());
      i += 2;
    } else if (c == '3') {
      absl::StrAppend(&out, hour12);
      i += 1;
    } else if (c == '4') {
      absl::StrAppend(&out, cs.minute());
      i += 1;
    } else if (c == '5') {
      absl::StrAppend(&out, cs.second());
      i += 1;
    } else if (at("PM")) {
      out += cs.hour() >= 12 ? "PM" : "AM";
      i += 2;
    } else if (at("pm")) {
      out += cs.hour() >= 12 ? "pm" : "am";
      i += 2;
    } else if (c == '-' || c == 'Z') {
      const bool z = c == 'Z';
      const absl::string_view rest = layout.substr(i + 1);
      size_t len = 0;
      if (absl::StartsWith(rest, "070000")) {
        out += FormatOffset(info.offset, z, false, true, true);
        len = 7;
      } else if (absl::StartsWith(rest, "07:00:00")) {
        out += FormatOffset(info.offset, z, true, true, true);
        len = 9;
      } else if (absl::StartsWith(rest, "0700")) {
        out += FormatOffset(info.offset, z, false, true, false);
        len = 5;
      } else if (absl::StartsWith(rest, "07:00")) {
        out += FormatOffset(info.offset, z, true, true, false);
        len = 6;
      } else if (absl::StartsWith(rest, "07")) {
        out += FormatOffset(info.offset, z, false, false, false);
        len = 3;
      } else {
        out += c;
        len = 1;
      }
      i += len;
    } else if ((c == '.' || c == ',') && i + 1 < layout.size() &&
               (layout[i + 1] == '0' || layout[i + 1] == '9')) {
      const char digit = layout[i + 1];
      size_t j = i + 1;
      while (j < layout.size() && layout[j] == digit) ++j;
      if (IsDigit(layout, j)) {  // not a fraction ("2.09" is text then 9)
        out += c;
        i += 1;
        continue;
      }
      const int n = static_cast<int>(j - i - 1);
      std::string digits = absl::StrFormat(
          "%09d", static_cast<int>(absl::ToInt64Nanoseconds(info.subsecond)));
      digits.resize(std::min(n, 9), '0');
      while (static_cast<int>(digits.size()) < n) digits.push_back('0');
      if (digit == '9') {
        while (!digits.empty() && digits.back() == '0') digits.pop_back();
        if (!digits.empty()) absl::StrAppend(&out, std::string(1, c), digits);
      } else {
        absl::StrAppend(&out, std::string(1, c), digits);
      }
      i = j;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

std::string ImageWithoutTag(const std::string& image) {
  std::string base = image;
  const size_t at = base.find('@');
  if (at != std::string::npos) base = base.substr(0, at);
  const size_t colon = base.rfind(':');
  if (colon != std::string::npos && base.find('/', colon) == std::string::npos) {
    base = base.substr(0, colon);
  }
  return base;
}

std::string TaggedReference(const std::string& image, const std::string& tag) {
  return absl::StrCat(ImageWithoutTag(image), ":", tag);
}

absl::Status ValidateTag(absl::string_view tag) {
  if (tag.empty()) return absl::InvalidArgumentError("a Docker tag cannot be empty");
  if (tag.size() > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", tag, "\" is not a valid Docker tag: longer than 128 characters"));
  }
  if (tag[0] == '.' || tag[0] == '-') {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", tag, "\" is not a valid Docker tag: it starts with '", tag.substr(0, 1), "'"));
  }
  for (char c : tag) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", tag, "\" is not a valid Docker tag: '", std::string(1, c),
          "' is not allowed (only letters, digits, '_', '.' and '-')"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Tagger>> Tagger::Make(TaggerOptions options) {
  if (options.clock == nullptr) options.clock = clock::RealClock();
  std::unique_ptr<Tagger> tagger(new Tagger(std::move(options)));
  const TaggerOptions& o = tagger->options_;
  if (!o.override_tag.empty()) {
    absl::Status valid = ValidateTag(o.override_tag);
    if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat("--tag: ", valid.message()));
    return tagger;
  }
  if (std::holds_alternative<config::GitCommitTagger>(o.policy) && o.runner == nullptr) {
    return absl::InvalidArgumentError("the gitCommit tag policy needs a process runner for git");
  }
  if (const auto* env = std::get_if<config::EnvTemplateTagger>(&o.policy)) {
    absl::StatusOr<config::Template> t = config::ParseTemplate(env->tmpl);
    if (!t.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "build.tagPolicy.envTemplate.template \"", env->tmpl, "\": ", t.status().message()));
    }
    tagger->template_ = *std::move(t);
  }
  if (const auto* date = std::get_if<config::DateTimeTagger>(&o.policy)) {
    if (date->timezone.empty() || date->timezone == "Local") {
      tagger->zone_ = absl::LocalTimeZone();
    } else if (date->timezone == "UTC") {
      tagger->zone_ = absl::UTCTimeZone();
    } else if (!absl::LoadTimeZone(date->timezone, &tagger->zone_)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "build.tagPolicy.dateTime.timezone \"", date->timezone,
          "\" is not a known time zone: use \"Local\", \"UTC\" or an IANA name such as "
          "\"Europe/Paris\""));
    }
  }
  return tagger;
}

std::string Tagger::PolicyName() const {
  return options_.override_tag.empty() ? PolicyNameOf(options_.policy) : "--tag";
}

absl::StatusOr<std::string> Tagger::Tag(const std::string& image,
                                        const std::string& context_dir) const {
  absl::StatusOr<std::string> tag = [&]() -> absl::StatusOr<std::string> {
    if (!options_.override_tag.empty()) return options_.override_tag;
    switch (options_.policy.index()) {
      case 0:
        return GitCommitTag(std::get<config::GitCommitTagger>(options_.policy), context_dir);
      case 1:
        return std::string(kLatest);
      case 2:
        return fs::HashBuildContext(context_dir, options_.config_files);
      case 3: {
        std::map<std::string, std::string> vars = options_.env;
        vars["IMAGE_NAME"] = ImageWithoutTag(image);
        return template_->Evaluate(vars);
      }
      case 4: {
        const auto& date = std::get<config::DateTimeTagger>(options_.policy);
        return FormatGoTime(date.format, options_.clock->Now(), zone_);
      }
    }
    return absl::InternalError("unknown tag policy");
  }();
  if (!tag.ok()) {
    return absl::Status(tag.status().code(),
                        absl::StrCat("tagging ", image, " (tag policy ", PolicyName(),
                                     "): ", tag.status().message()));
  }
  absl::Status valid = ValidateTag(*tag);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("tagging ", image, " (tag policy ",
                                                   PolicyName(), "): ", valid.message()));
  }
  return tag;
}

absl::StatusOr<std::string> Tagger::Git(const std::string& dir,
                                        std::initializer_list<std::string> args) const {
  process::ProcessSpec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.working_dir = dir;
  spec.timeout = options_.git_timeout;
  // Never prompt, never page, and read the user's repository as it is.
  spec.env = {{"GIT_TERMINAL_PROMPT", "0"}, {"GIT_PAGER", "cat"}, {"LC_ALL", "C"}};
  std::string out, err;
  spec.on_stdout = [&out](absl::string_view line) { absl::StrAppend(&out, line, "\n"); };
  spec.on_stderr = [&err](absl::string_view line) { absl::StrAppend(&err, line, " "); };
  absl::StatusOr<process::ExitStatus> exit = options_.runner->Run(spec);
  if (!exit.ok()) {
    return absl::Status(exit.status().code(),
                        absl::StrCat("cannot run git: ", exit.status().message()));
  }
  if (!exit->success()) {
    std::ostringstream how;
    how << *exit;
    return absl::FailedPreconditionError(
        absl::StrCat("`", log::DescribeCommand(spec.argv), "` in ", dir, " failed (", how.str(), "): ", absl::StripAsciiWhitespace(err)));
  }
  return std::string(absl::StripAsciiWhitespace(out));
}

absl::StatusOr<std::string> Tagger::GitCommitTag(const config::GitCommitTagger& policy,
                                                 const std::string& context_dir) const {
  // Outside any repository (or before its first commit) there is no commit to
  // name: rather than failing, or tagging every build "latest", devloop tags
  // by the context's content (the inputDigest policy), so a changed image still
  // gets a new tag and an unchanged one keeps its tag.
  absl::StatusOr<std::string> head = Git(context_dir, {"rev-parse", "--verify", "--quiet", "HEAD"});
  if (!head.ok()) {
    if (head.status().code() == absl::StatusCode::kFailedPrecondition) {
      DEVLOOP_VLOG(1) << "gitCommit tag policy: " << context_dir
                      << " is not in a git repository with a commit; tagging by input digest";
      return fs::HashBuildContext(context_dir, options_.config_files);
    }
    return head.status();
  }
  absl::StatusOr<std::string> ref;
  switch (policy.variant) {
    case config::GitCommitVariant::kTags:
      ref = Git(context_dir, {"describe", "--tags", "--always"});
      break;
    case config::GitCommitVariant::kCommitSha:
      ref = *head;
      break;
    case config::GitCommitVariant::kAbbrevCommitSha:
      ref = Git(context_dir, {"rev-parse", "--short", "HEAD"});
      break;
    case config::GitCommitVariant::kTreeSha:
      ref = Git(context_dir, {"rev-parse", "HEAD:./"});
      break;
    case config::GitCommitVariant::kAbbrevTreeSha:
      ref = Git(context_dir, {"rev-parse", "--short", "HEAD:./"});
      break;
  }
  if (!ref.ok()) return absl::InternalError(ref.status().message());
  std::string tag = absl::StrCat(policy.prefix, *ref);
  if (!policy.ignore_changes) {
    absl::StatusOr<std::string> status =
        Git(context_dir, {"status", "--porcelain", "--untracked-files=all", "--", "."});
    if (!status.ok()) return absl::InternalError(status.status().message());
    if (!status->empty()) tag += "-dirty";
  }
  return tag;
}

}  // namespace devloop::build
