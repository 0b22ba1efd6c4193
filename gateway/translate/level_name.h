// Langfuse's spelling of an observation level, shared by the OTLP and legacy translators.
#pragma once

#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::translate {

// "DEBUG" | "DEFAULT" | "WARNING" | "ERROR"; nullptr for LEVEL_UNSPECIFIED or an unknown
// value (the field is then left out and Langfuse stores DEFAULT).
inline const char* LevelName(tracegate::v1::Level level) {
  switch (level) {
    case tracegate::v1::LEVEL_DEBUG:
      return "DEBUG";
    case tracegate::v1::LEVEL_DEFAULT:
      return "DEFAULT";
    case tracegate::v1::LEVEL_WARNING:
      return "WARNING";
    case tracegate::v1::LEVEL_ERROR:
      return "ERROR";
    default:
      return nullptr;
  }
}

}  // namespace tracegate::translate
