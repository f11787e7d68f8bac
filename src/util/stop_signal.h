// Ctrl-C and SIGTERM as a request to stop, which long loops poll between units of work.
//
// The one piece of process-wide state besides the logger, because signals are process-wide.
// After Install(), the first SIGINT or SIGTERM sets the flag; a second one ends the process at
// once (the default action), for a user who does not want to wait.
#pragma once

namespace fruits {

class StopSignal {
 public:
  static void Install();
  static bool Requested();
};

}  // namespace fruits
