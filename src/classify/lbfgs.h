// Unconstrained minimisation of a smooth function by L-BFGS: what the classifier is trained with.
//
// Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., algorithm 7.4) with a
// line search that finds a step meeting the strong Wolfe conditions (algorithms 3.5 and 3.6,
// cubic interpolation, c1 = 1e-4, c2 = 0.9), as scipy's L-BFGS-B, which scikit-learn's
// LogisticRegression(solver="lbfgs") uses, does without bounds. It stops when the largest
// gradient component is at most `gradient_tolerance` (scipy's `gtol`, scikit-learn's `tol`), when
// no step lowers the function any more (the precision of its evaluation is reached), or after
// `max_iterations`. With a diagonal preconditioner, the initial inverse Hessian of each
// iteration is scaled by it (Nocedal & Wright, section 7.2). Deterministic: the same function and
// start give the same iterates. Not thread-safe in itself; the objective may use threads.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace fruits::classify {

struct LbfgsOptions {
  // Iterations (line searches) at most.
  int max_iterations = 1000;
  // Converged when max_i |gradient_i| <= this.
  double gradient_tolerance = 1e-4;
  // Correction pairs kept (scipy's maxcor).
  int memory = 10;
  // Function evaluations per line search at most (scipy's maxls).
  int max_line_search = 50;
  // A diagonal preconditioner: the initial inverse Hessian is gamma * diag(this) instead of
  // gamma * I (empty: I). Variables whose curvature differs by orders of magnitude (weights of
  // PCA coordinates of decreasing variance) converge in far fewer iterations when this is about
  // 1 / their curvature. It changes the path, not the minimum or the stopping rules.
  std::vector<double> diagonal;
};

enum class LbfgsStop {
  kConverged,      // the gradient is within the tolerance
  kNoProgress,     // no step along the search direction lowers the function measurably
  kMaxIterations,  // max_iterations reached first
};

// "converged", "no further progress", "iteration limit".
std::string StopName(LbfgsStop stop);

struct LbfgsResult {
  std::vector<double> x;
  double value = 0;
  double gradient_max = 0;  // max_i |gradient_i| at x
  int iterations = 0;
  int evaluations = 0;
  LbfgsStop stop = LbfgsStop::kConverged;
};

// Returns f(x) and writes its gradient (same size as x) to `gradient`.
using Objective = std::function<double(std::span<const double> x, std::span<double> gradient)>;

// REQUIRES: x0 is not empty; f is finite at x0 (checked: InternalError).
LbfgsResult MinimizeLbfgs(const Objective& f, std::vector<double> x0, const LbfgsOptions& options);

}  // namespace fruits::classify
