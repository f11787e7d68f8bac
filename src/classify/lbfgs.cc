#include "classify/lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "util/error.h"

namespace fruits::classify {

namespace {

// Sufficient decrease and curvature constants of the strong Wolfe conditions.
constexpr double kC1 = 1e-4;
constexpr double kC2 = 0.9;
// A relative decrease below this is no progress (scikit-learn passes scipy ftol = 64 eps).
constexpr double kRelativeDecrease = 64 * std::numeric_limits<double>::epsilon();

double Dot(std::span<const double> a, std::span<const double> b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

double MaxAbs(std::span<const double> v) {
  double m = 0;
  for (double e : v) m = std::max(m, std::abs(e));
  return m;
}

// A point on the search line: step, value, directional derivative, and where it is.
struct LinePoint {
  double step = 0;
  double value = 0;
  double slope = 0;
  std::vector<double> x;
  std::vector<double> gradient;
};

// The minimiser of the cubic through two points with their slopes, or NaN when it has none.
double CubicMinimizer(const LinePoint& a, const LinePoint& b) {
  const double d1 = a.slope + b.slope - 3 * (a.value - b.value) / (a.step - b.step);
  const double discriminant = d1 * d1 - a.slope * b.slope;
  if (!(discriminant >= 0)) return std::nan("");
  const double d2 = std::copysign(std::sqrt(discriminant), b.step - a.step);
  return b.step - (b.step - a.step) * (b.slope + d2 - d1) / (b.slope - a.slope + 2 * d2);
}

// Searches along `direction` from (x, value, gradient) for a step meeting the strong Wolfe
// conditions. Returns false when no step within the evaluation budget lowers the value.
class LineSearch {
 public:
  LineSearch(const Objective& f, const LinePoint& origin, std::span<const double> direction,
             int max_evaluations)
      : f_(f),
        origin_(origin),
        direction_(direction),
        slope0_(Dot(origin.gradient, direction)),
        evaluations_left_(max_evaluations) {}

  int evaluations() const { return evaluations_; }

  bool Search(double first_step, LinePoint& found) {
    LinePoint previous{0, origin_.value, slope0_, {}, {}};
    double step = first_step;
    for (bool first = true; evaluations_left_ > 0; first = false) {
      LinePoint current = Evaluate(step);
      if (!SufficientDecrease(current) || (!first && current.value >= previous.value)) {
        return Zoom(std::move(previous), std::move(current), found);
      }
      if (std::abs(current.slope) <= -kC2 * slope0_) {
        found = std::move(current);
        return true;
      }
      if (current.slope >= 0) return Zoom(std::move(current), std::move(previous), found);
      previous = std::move(current);
      step *= 2;
    }
    return Accept(previous, found);
  }

 private:
  LinePoint Evaluate(double step) {
    LinePoint p{step, 0, 0, origin_.x, std::vector<double>(origin_.x.size())};
    for (size_t i = 0; i < p.x.size(); ++i) p.x[i] += step * direction_[i];
    p.value = f_(p.x, p.gradient);
    p.slope = Dot(p.gradient, direction_);
    ++evaluations_;
    --evaluations_left_;
    return p;
  }

  bool SufficientDecrease(const LinePoint& p) const {
    return std::isfinite(p.value) && p.value <= origin_.value + kC1 * p.step * slope0_;
  }

  // `low` meets sufficient decrease and has the lower value; the minimiser lies between the two.
  bool Zoom(LinePoint low, LinePoint high, LinePoint& found) {
    while (evaluations_left_ > 0) {
      const double width = high.step - low.step;
      if (std::abs(width) <= 1e-14 * std::max(1.0, std::abs(low.step))) break;
      double step = std::isfinite(high.value) ? CubicMinimizer(low, high) : std::nan("");
      const double lower = low.step + 0.1 * width, upper = high.step - 0.1 * width;
      if (!(step >= std::min(lower, upper) && step <= std::max(lower, upper))) {
        step = low.step + 0.5 * width;
      }
      LinePoint current = Evaluate(step);
      if (!SufficientDecrease(current) || current.value >= low.value) {
        high = std::move(current);
        continue;
      }
      if (std::abs(current.slope) <= -kC2 * slope0_) {
        found = std::move(current);
        return true;
      }
      if (current.slope * width >= 0) high = std::move(low);
      low = std::move(current);
    }
    return Accept(low, found);
  }

  // Out of evaluations: a step that lowered the value will do.
  bool Accept(LinePoint& best, LinePoint& found) {
    if (best.step <= 0 || !(best.value < origin_.value)) return false;
    found = std::move(best);
    return true;
  }

  const Objective& f_;
  const LinePoint& origin_;
  std::span<const double> direction_;
  double slope0_;
  int evaluations_left_;
  int evaluations_ = 0;
};

// The correction pairs (s, y) of the last iterations and the two-loop recursion over them.
class InverseHessian {
 public:
  // `diagonal`: the preconditioner (empty: identity).
  InverseHessian(int memory, std::span<const double> diagonal)
      : memory_(memory), diagonal_(diagonal) {}

  void Clear() { pairs_.clear(); }
  bool empty() const { return pairs_.empty(); }

  // Keeps the pair when it has positive curvature (s.y > 0), which keeps H positive definite.
  void Update(std::vector<double> s, std::vector<double> y) {
    const double sy = Dot(s, y);
    double yy = 0;  // y . D y
    for (size_t i = 0; i < y.size(); ++i) yy += y[i] * y[i] * Diagonal(i);
    if (!(sy > 1e-12 * yy)) return;
    if (static_cast<int>(pairs_.size()) == memory_) pairs_.pop_front();
    pairs_.push_back({std::move(s), std::move(y), 1 / sy, sy / yy});
  }

  // -H * gradient.
  std::vector<double> Direction(std::span<const double> gradient) const {
    std::vector<double> q(gradient.begin(), gradient.end());
    std::vector<double> alpha(pairs_.size());
    for (size_t i = pairs_.size(); i-- > 0;) {
      const Pair& p = pairs_[i];
      alpha[i] = p.rho * Dot(p.s, q);
      for (size_t j = 0; j < q.size(); ++j) q[j] -= alpha[i] * p.y[j];
    }
    const double gamma = pairs_.empty() ? 1.0 : pairs_.back().gamma;
    for (size_t j = 0; j < q.size(); ++j) q[j] *= gamma * Diagonal(j);
    for (size_t i = 0; i < pairs_.size(); ++i) {
      const Pair& p = pairs_[i];
      const double beta = p.rho * Dot(p.y, q);
      for (size_t j = 0; j < q.size(); ++j) q[j] += (alpha[i] - beta) * p.s[j];
    }
    for (double& v : q) v = -v;
    return q;
  }

 private:
  double Diagonal(size_t i) const { return diagonal_.empty() ? 1.0 : diagonal_[i]; }

  struct Pair {
    std::vector<double> s, y;
    double rho;    // 1 / s.y
    double gamma;  // s.y / y.D.y: the scale of the initial inverse Hessian
  };
  int memory_;
  std::span<const double> diagonal_;
  std::deque<Pair> pairs_;
};

}  // namespace

std::string StopName(LbfgsStop stop) {
  switch (stop) {
    case LbfgsStop::kConverged:
      return "converged";
    case LbfgsStop::kNoProgress:
      return "no further progress";
    case LbfgsStop::kMaxIterations:
      return "iteration limit";
  }
  return "?";
}

LbfgsResult MinimizeLbfgs(const Objective& f, std::vector<double> x0, const LbfgsOptions& options) {
  if (x0.empty()) throw InternalError("L-BFGS needs at least one variable");
  if (!options.diagonal.empty() && options.diagonal.size() != x0.size()) {
    throw InternalError("L-BFGS: a preconditioner of another size than the variables");
  }
  LinePoint at{0, 0, 0, std::move(x0), {}};
  at.gradient.resize(at.x.size());
  at.value = f(at.x, at.gradient);
  if (!std::isfinite(at.value))
    throw InternalError("L-BFGS started where the function is not finite");
  LbfgsResult result;
  result.evaluations = 1;
  result.stop = LbfgsStop::kMaxIterations;
  InverseHessian h(options.memory, options.diagonal);
  while (true) {
    if (MaxAbs(at.gradient) <= options.gradient_tolerance) {
      result.stop = LbfgsStop::kConverged;
      break;
    }
    if (result.iterations >= options.max_iterations) break;
    std::vector<double> direction = h.Direction(at.gradient);
    if (!(Dot(direction, at.gradient) < 0)) {  // rounding broke H: restart from steepest descent
      h.Clear();
      direction = h.Direction(at.gradient);
    }
    // Without curvature pairs the direction is -D gradient: its first step is of length 1.
    const double first_step =
        h.empty() ? std::min(1.0, 1 / std::sqrt(Dot(direction, direction))) : 1.0;
    LineSearch search(f, at, direction, options.max_line_search);
    LinePoint next;
    const bool moved = search.Search(first_step, next);
    result.evaluations += search.evaluations();
    if (!moved) {
      if (h.empty()) {
        result.stop = LbfgsStop::kNoProgress;
        break;
      }
      h.Clear();  // try once more along the steepest descent before giving up
      continue;
    }
    ++result.iterations;
    std::vector<double> s(at.x.size()), y(at.x.size());
    for (size_t i = 0; i < s.size(); ++i) {
      s[i] = next.x[i] - at.x[i];
      y[i] = next.gradient[i] - at.gradient[i];
    }
    h.Update(std::move(s), std::move(y));
    const double decrease = at.value - next.value;
    at = std::move(next);
    if (decrease <= kRelativeDecrease * std::max({std::abs(at.value), std::abs(decrease), 1.0}) &&
        MaxAbs(at.gradient) > options.gradient_tolerance) {
      result.stop = LbfgsStop::kNoProgress;
      break;
    }
  }
  result.value = at.value;
  result.gradient_max = MaxAbs(at.gradient);
  result.x = std::move(at.x);
  return result;
}

}  // namespace fruits::classify
