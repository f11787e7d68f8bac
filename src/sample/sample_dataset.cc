#include "sample/sample_dataset.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numbers>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string_view>

#include "util/error.h"

namespace fruits::sample {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr int kSingleSize = 100;  // Fruits-360's image size
constexpr int kMultiWidth = 640;
constexpr int kMultiHeight = 480;
constexpr int kJpegQuality = 95;
constexpr int kMaxPerClass = 100'000;   // 16 labels x 100,000 x ~4 KB: a few GB, already absurd
constexpr int kMaxMultiFruit = 10'000;  // ~60 KB each
constexpr int kFixedPointBits = 4;      // sub-pixel precision of OpenCV's polygon drawing
constexpr double kFixedPointScale = 1 << kFixedPointBits;

// Seeded draws with our own conversions: std::*_distribution differ between standard libraries,
// and a seed must give the same files whatever library built the binary. Two draws never feed
// the arguments of one call, whose order C++ leaves open; braced lists are evaluated in order.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  int Int(int lo, int hi) { return lo + static_cast<int>(Uniform() * (hi - lo + 1)); }
  bool Chance(double p) { return Uniform() < p; }
  double Normal(double mean, double sd) {  // Box-Muller
    double radius = std::sqrt(-2 * std::log(1 - Uniform()));
    return mean + sd * radius * std::cos(2 * kPi * Uniform());
  }
  uint64_t Bits() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

// SplitMix64's finaliser: neighbouring inputs give unrelated outputs.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// Each image has its own stream, so an image does not change when other counts do.
uint64_t ImageSeed(uint64_t seed, uint64_t split, uint64_t label, uint64_t index) {
  return Mix(seed ^ Mix((split << 32 | label) ^ Mix(index)));
}

double Square(double x) { return x * x; }

double SmoothStep(double edge0, double edge1, double x) {
  double t = std::clamp((x - edge0) / (edge1 - edge0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

// A bump of height 1 at angle `centre` that fades over `width` radians.
double AngularBump(double angle, double centre, double width) {
  return std::exp(-Square(std::remainder(angle - centre, 2 * kPi) / width));
}

// ---- Geometry, in fruit units: the body is about 2 across, y grows downwards, stem at the top.

using Polygon = std::vector<cv::Point2d>;

constexpr double kTop = -kPi / 2;  // the angle of the stem end
constexpr double kBottom = kPi / 2;

// A closed outline through point(angle) for angles around the full turn.
Polygon Trace(const std::function<cv::Point2d(double)>& point, int n = 72) {
  Polygon outline;
  for (int i = 0; i < n; ++i) outline.push_back(point(2 * kPi * i / n));
  return outline;
}

Polygon Ellipse(cv::Point2d centre, double rx, double ry, int n = 32) {
  return Trace([&](double a) { return centre + cv::Point2d(rx * std::cos(a), ry * std::sin(a)); },
               n);
}

// An open quadratic curve from a to b pulled towards `control`.
Polygon Bezier(cv::Point2d a, cv::Point2d control, cv::Point2d b, int n = 16) {
  Polygon curve;
  for (int i = 0; i <= n; ++i) {
    double t = static_cast<double>(i) / n;
    curve.push_back((1 - t) * (1 - t) * a + 2 * t * (1 - t) * control + t * t * b);
  }
  return curve;
}

// The outline of a band of half-width half_width(t) along `spine`, t from 0 to 1.
Polygon Band(const Polygon& spine, const std::function<double(double)>& half_width) {
  size_t n = spine.size();
  Polygon left, right;
  for (size_t i = 0; i < n; ++i) {
    cv::Point2d along = spine[std::min(i + 1, n - 1)] - spine[i > 0 ? i - 1 : 0];
    cv::Point2d across = cv::Point2d(-along.y, along.x) / std::max(cv::norm(along), 1e-9);
    double w = half_width(static_cast<double>(i) / (n - 1));
    left.push_back(spine[i] + w * across);
    right.push_back(spine[i] - w * across);
  }
  left.insert(left.end(), right.rbegin(), right.rend());
  return left;
}

// A crown of `lobes` pointed leaves (a calyx or a strawberry's hull), flattened vertically as when
// seen from the side.
Polygon Crown(cv::Point2d centre, int lobes, double inner, double outer, double squash,
              double turn) {
  return Trace(
      [&](double a) {
        double r = inner + (outer - inner) * std::pow(std::abs(std::cos(lobes * a / 2)), 4);
        return centre + cv::Point2d(r * std::cos(a + turn), squash * r * std::sin(a + turn));
      },
      24 * lobes);
}

// A line of longitude on a body of half-width rx and half-height ry, `offset` (-1..1) of the way
// from its middle to its edge, wavy by `wiggle`.
Polygon Meridian(double offset, double rx, double ry, double wiggle, double phase) {
  Polygon line;
  for (int i = -10; i <= 10; ++i) {
    double y = 0.095 * i;
    double x = (offset * std::sqrt(1 - y * y) + wiggle * std::sin(5 * y + phase)) * rx;
    line.push_back({x, y * ry});
  }
  return line;
}

// Small random unevenness of a round outline, so no two fruits have the same silhouette.
std::function<double(double)> Wobble(Rng& rng, double amount) {
  double a2 = rng.Uniform(0, amount), a3 = rng.Uniform(0, amount / 2);
  double p2 = rng.Uniform(0, 2 * kPi), p3 = rng.Uniform(0, 2 * kPi);
  return [=](double a) { return 1 + a2 * std::cos(2 * a + p2) + a3 * std::cos(3 * a + p3); };
}

// Where a fruit lies in the image: pixel = shift + scale * rotation(angle) * fruit point.
struct Pose {
  double angle = 0;
  double scale = 1;
  cv::Point2d shift;

  cv::Point2d Apply(cv::Point2d p) const {
    double c = std::cos(angle), s = std::sin(angle);
    return shift + scale * cv::Point2d(c * p.x - s * p.y, s * p.x + c * p.y);
  }
};

// The smallest upright box around the points once posed.
cv::Rect2d Box(const Polygon& points, const Pose& pose) {
  cv::Point2d lo = pose.Apply(points.at(0)), hi = lo;
  for (const cv::Point2d& p : points) {
    cv::Point2d q = pose.Apply(p);
    lo = {std::min(lo.x, q.x), std::min(lo.y, q.y)};
    hi = {std::max(hi.x, q.x), std::max(hi.y, q.y)};
  }
  return {lo, hi};
}

bool Inside(const Polygon& outline, cv::Point2d p) {
  bool inside = false;
  for (size_t i = 0, j = outline.size() - 1; i < outline.size(); j = i++) {
    const cv::Point2d& a = outline[i];
    const cv::Point2d& b = outline[j];
    if ((a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y)) {
      inside = !inside;
    }
  }
  return inside;
}

// Points on a jittered grid of the given spacing inside `outline`: seeds, pores, lenticels.
std::vector<Polygon> Scatter(const Polygon& outline, double spacing, double jitter, Rng& rng) {
  cv::Rect2d box = Box(outline, Pose{});
  std::vector<Polygon> dots;
  for (double y = box.y + spacing / 2; y < box.br().y; y += spacing * 0.87) {
    double row_shift = dots.size() % 2 ? spacing / 2 : 0;
    for (double x = box.x + row_shift; x < box.br().x; x += spacing) {
      cv::Point2d p{x + rng.Normal(0, jitter), y + rng.Normal(0, jitter)};
      if (Inside(outline, p)) dots.push_back({p});
    }
  }
  return dots;
}

// ---- Appearance

struct Rgb {
  double r, g, b;  // 0..255
};

// A colour varied per fruit: each channel and the brightness by about `amount`.
Rgb Vary(Rgb c, Rng& rng, double amount = 0.05) {
  double brightness = rng.Normal(1, amount);
  auto channel = [&](double v) {
    return std::clamp(v * brightness * rng.Normal(1, amount / 2), 0.0, 255.0);
  };
  return {channel(c.r), channel(c.g), channel(c.b)};
}

struct Material {
  Rgb base;
  Rgb patch;                // a second colour in smooth blotches (blush, bloom, unripe parts)
  double patchiness = 0.3;  // share of the skin the patches cover, 0..1
  double patch_size = 0.6;  // blotch size, fruit units
  double patch_edge = 0.3;  // how gradually patches fade in: small crisp, 1 a broad blush
  double grain = 0.03;      // fine brightness texture: pores, fuzz
  double bump = 0;          // slope of the dents the grain makes, as orange pores do
  double gloss = 0.3;       // specular strength
  double shininess = 20;    // higher: a smaller, sharper highlight (waxy skins)
};

// Dots (a stroke of one point) or lines painted on a part's skin. The kinds below list them in
// field order: {strokes, width, colour, opacity, softness}.
struct Marks {
  std::vector<Polygon> strokes;
  double width = 0.02;  // dot diameter or line width, fruit units
  Rgb colour;
  double opacity = 1;
  double softness = 0;  // blur, fruit units
};

std::vector<Polygon> Spot(cv::Point2d centre) { return {{centre}}; }

// One piece of a fruit (its body, a stem, a leaf, a grape), painted as a shaded dome.
struct Part {
  Polygon outline;
  Material material;
  std::vector<Marks> marks;
  double relief = 1;  // dome height over half-width: 1 round, less for flat leaves
};

struct Fruit {
  std::vector<Part> parts;  // painted in order, later ones in front
};

Part Stem(const Polygon& spine, double half_width, Rgb colour, Rng& rng) {
  auto blunt = [half_width](double t) { return half_width * (t < 0.9 ? 1 : 0.6); };  // cut end
  return {.outline = Band(spine, blunt),
          .material = {.base = Vary(colour, rng),
                       .patch = colour,
                       .patchiness = 0,
                       .grain = 0.05,
                       .gloss = 0.08,
                       .shininess = 8}};
}

Part Calyx(cv::Point2d centre, int lobes, double inner, double outer, double squash, Rng& rng) {
  Rgb green = Vary({70, 125, 45}, rng);
  return {.outline = Crown(centre, lobes, inner, outer, squash, rng.Uniform(0, 2 * kPi)),
          .material = {.base = green,
                       .patch = {100, 150, 55},
                       .patchiness = 0.3,
                       .patch_size = 0.2,
                       .grain = 0.05,
                       .gloss = 0.15,
                       .shininess = 10},
          .relief = 0.3};
}

// Vertical streaks on a round body, as on an apple or a watermelon.
std::vector<Polygon> Streaks(int count, double rx, double ry, double wiggle, Rng& rng) {
  std::vector<Polygon> streaks;
  for (int i = 0; i < count; ++i) {
    double offset = rng.Uniform(-1, 1);
    streaks.push_back(Meridian(offset, rx, ry, wiggle, rng.Uniform(0, 2 * kPi)));
  }
  return streaks;
}

// ---- The fruit kinds

Fruit AppleRed(Rng& rng) {
  double width = rng.Uniform(1.0, 1.1);
  auto wobble = Wobble(rng, 0.03);
  Polygon body = Trace([&](double a) {
    double r = (1 - 0.06 * std::sin(a)) * wobble(a) *
               (1 - 0.1 * AngularBump(a, kTop, 0.3) - 0.04 * AngularBump(a, kBottom, 0.35));
    return cv::Point2d(width * r * std::cos(a), r * std::sin(a));
  });
  Part skin{.outline = body,
            .material = {.base = Vary({175, 22, 32}, rng),
                         .patch = Vary({215, 165, 60}, rng),
                         .patchiness = rng.Uniform(0.1, 0.35),
                         .patch_edge = 0.5,
                         .grain = 0.03,
                         .gloss = 0.45,
                         .shininess = 30}};
  skin.marks = {{Streaks(16, width, 0.95, 0.03, rng), 0.04, {110, 5, 20}, 0.6, 0.02},
                {Scatter(body, 0.22, 0.08, rng), 0.025, {235, 205, 150}, 0.35},
                {Spot({0, -0.85}), 0.35, {110, 70, 25}, 0.5, 0.08}};
  Fruit fruit{{skin}};
  if (rng.Chance(0.8)) {
    double lean = rng.Uniform(-0.2, 0.2);
    fruit.parts.push_back(
        Stem(Bezier({0, -0.82}, {0, -1.05}, {lean, -1.2}), 0.04, {105, 75, 35}, rng));
  }
  return fruit;
}

Fruit Banana(Rng& rng) {
  double span = rng.Uniform(1.0, 1.5);  // radians of arc
  double radius = rng.Uniform(2.4, 2.8) / span;
  double thickness = rng.Uniform(0.24, 0.3);
  Polygon spine;
  for (int i = 0; i <= 24; ++i) {
    double angle = span * (i / 24.0 - 0.5);
    spine.push_back({radius * std::sin(angle), radius * (1 - std::cos(angle))});
  }
  auto half_width = [=](double t) { return thickness * std::pow(std::sin(kPi * t), 0.4); };
  Polygon body = Band(spine, half_width);
  auto ridge = [&](double side) {
    Polygon line;
    for (size_t i = 3; i + 3 < spine.size(); ++i) {
      line.push_back(body[i] * (1 - side) + body[body.size() - 1 - i] * side);
    }
    return line;
  };
  Part skin{.outline = body,
            .material = {.base = Vary({238, 202, 60}, rng),
                         .patch = Vary({175, 185, 65}, rng),
                         .patchiness = rng.Uniform(0, 0.3),
                         .grain = 0.02,
                         .gloss = 0.25,
                         .shininess = 15}};
  std::vector<Polygon> spots = Scatter(body, 0.12, 0.05, rng);
  spots.resize(rng.Int(0, static_cast<int>(spots.size()) / 3));
  skin.marks = {{{ridge(0.3), ridge(0.7)}, 0.03, {190, 150, 40}, 0.4, 0.02},
                {spots, 0.03, {115, 75, 30}, 0.7},
                {Spot(spine.front()), 0.5, {150, 160, 50}, 0.6, 0.12},
                {Spot(spine.back()), 0.12, {60, 45, 25}, 0.9, 0.02}};
  cv::Point2d out = spine[0] - spine[2];
  out /= cv::norm(out);
  Polygon stalk = {spine[1], spine[0] + 0.2 * out, spine[0] + 0.4 * out};
  return {{Stem(stalk, 0.06, {125, 115, 55}, rng), skin}};
}

Fruit Orange(Rng& rng) {
  auto wobble = Wobble(rng, 0.02);
  Polygon body = Ellipse({0, 0}, 1, rng.Uniform(0.92, 1.0), 72);
  for (size_t i = 0; i < body.size(); ++i) body[i] *= wobble(2 * kPi * i / body.size());
  Part skin{.outline = body,
            .material = {.base = Vary({245, 140, 25}, rng),
                         .patch = Vary({230, 110, 15}, rng),
                         .patch_size = 0.5,
                         .grain = 0.08,
                         .bump = 0.25,
                         .gloss = 0.3,
                         .shininess = 12}};
  cv::Point2d scar{rng.Uniform(-0.4, 0.4), rng.Uniform(-0.7, 0.3)};
  skin.marks = {{Spot(scar), 0.1, {120, 105, 40}, 0.8, 0.02}};
  return {{skin}};
}

// An egg: narrower at the top when `taper` > 0.
Polygon Egg(double rx, double taper, Rng& rng) {
  auto wobble = Wobble(rng, 0.025);
  return Trace([&](double a) {
    return wobble(a) * cv::Point2d(rx * std::cos(a) * (1 + taper * std::sin(a)), std::sin(a));
  });
}

Fruit Kiwi(Rng& rng) {
  Polygon body = Egg(rng.Uniform(0.72, 0.82), 0.08, rng);
  Part skin{.outline = body,
            .material = {.base = Vary({135, 96, 55}, rng),
                         .patch = Vary({110, 80, 45}, rng),
                         .patchiness = 0.3,
                         .patch_edge = 0.6,
                         .grain = 0.16,
                         .bump = 0.2,
                         .gloss = 0.04,
                         .shininess = 6}};
  skin.marks = {{Spot({0, 0.96}), 0.1, {65, 45, 25}, 0.8, 0.02},
                {Spot({0, -0.95}), 0.14, {95, 75, 40}, 0.8, 0.03}};
  return {{skin}};
}

// A lemon or lime: an oval with a nipple at one or both ends.
Polygon Citrus(double rx, double top_tip, double bottom_tip, Rng& rng) {
  auto wobble = Wobble(rng, 0.02);
  return Trace([&](double a) {
    double tip = top_tip * AngularBump(a, kTop, 0.2) + bottom_tip * AngularBump(a, kBottom, 0.2);
    return wobble(a) * cv::Point2d(rx * std::cos(a), std::sin(a) * (1 + tip));
  });
}

Fruit Lemon(Rng& rng) {
  Part skin{.outline = Citrus(rng.Uniform(0.7, 0.8), 0.16, 0.12, rng),
            .material = {.base = Vary({250, 222, 50}, rng),
                         .patch = Vary({230, 200, 40}, rng),
                         .patchiness = 0.2,
                         .grain = 0.06,
                         .bump = 0.2,
                         .gloss = 0.4,
                         .shininess = 18}};
  return {{skin}};
}

Fruit Lime(Rng& rng) {
  Part skin{.outline = Citrus(rng.Uniform(0.85, 0.95), 0.0, 0.07, rng),
            .material = {.base = Vary({95, 160, 45}, rng),
                         .patch = Vary({150, 190, 65}, rng),
                         .patchiness = 0.25,
                         .grain = 0.07,
                         .bump = 0.2,
                         .gloss = 0.4,
                         .shininess = 18}};
  return {{skin}};
}

Fruit GrapeBlue(Rng& rng) {
  Material berry{.base = Vary({68, 40, 92}, rng),
                 .patch = Vary({125, 115, 150}, rng),
                 .patchiness = 0.15,
                 .patch_size = 0.15,
                 .patch_edge = 0.6,
                 .grain = 0.02,
                 .gloss = 0.45,
                 .shininess = 30};
  Fruit fruit{{Stem(Bezier({0, -1.2}, {0.05, -0.8}, {0, -0.2}), 0.035, {110, 100, 45}, rng)}};
  std::vector<Part> berries;
  const int rows[] = {4, 4, 4, 3, 3, 2, 1};
  double r = 0.23;
  for (int row = 0; row < 7; ++row) {
    for (int j = 0; j < rows[row]; ++j) {
      if (rows[row] > 1 && rng.Chance(0.12)) continue;
      cv::Point2d c{(j - (rows[row] - 1) / 2.0) * 0.4 + rng.Normal(0, 0.04),
                    -0.85 + row * 0.3 + rng.Normal(0, 0.03)};
      Material m = berry;
      m.base = Vary(berry.base, rng, 0.08);
      double rx = r * rng.Uniform(0.9, 1.05);
      berries.push_back({.outline = Ellipse(c, rx, r * rng.Uniform(1, 1.12)), .material = m});
    }
  }
  for (size_t i = berries.size(); i > 1; --i) {  // shuffled: which berry hides which
    std::swap(berries[i - 1], berries[rng.Int(0, static_cast<int>(i) - 1)]);
  }
  fruit.parts.insert(fruit.parts.end(), berries.begin(), berries.end());
  return fruit;
}

Fruit Strawberry(Rng& rng) {
  double rx = rng.Uniform(0.82, 0.95);
  double point = rng.Uniform(0.3, 0.42);
  Polygon body = Trace([&](double a) {
    double y = std::sin(a) * (std::sin(a) < 0 ? 0.7 : 1.05);
    return cv::Point2d(rx * std::cos(a) * (1 - point * std::max(0.0, std::sin(a))), y);
  });
  Part skin{.outline = body,
            .material = {.base = Vary({212, 28, 38}, rng),
                         .patch = Vary({235, 95, 60}, rng),
                         .patchiness = 0.2,
                         .grain = 0.03,
                         .bump = 0.15,
                         .gloss = 0.5,
                         .shininess = 28}};
  std::vector<Polygon> seeds = Scatter(body, 0.17, 0.025, rng);
  skin.marks = {{seeds, 0.07, {140, 10, 22}, 0.45, 0.01}, {seeds, 0.03, {238, 210, 105}, 0.95}};
  return {{skin, Calyx({0, -0.66}, 7, 0.1, 0.55, 0.4, rng),
           Stem(Bezier({0, -0.7}, {0.02, -0.85}, {0.08, -0.98}), 0.04, {90, 130, 50}, rng)}};
}

// A pear's silhouette: a narrow neck above a round bottom; `neck` is the neck's relative width.
Polygon PearShape(double width, double neck, Rng& rng) {
  auto wobble = Wobble(rng, 0.02);
  return Trace([&](double a) {
    double y = std::sin(a);
    double w = width * (neck + (1 - neck) * SmoothStep(-0.9, 0.5, y));
    return wobble(a) * cv::Point2d(std::cos(a) * w, y);
  });
}

Fruit Pear(Rng& rng) {
  double width = rng.Uniform(0.75, 0.85);
  Polygon body = PearShape(width, rng.Uniform(0.45, 0.55), rng);
  Part skin{.outline = body,
            .material = {.base = Vary({205, 200, 80}, rng),
                         .patch = Vary({195, 145, 60}, rng),
                         .patchiness = rng.Uniform(0.1, 0.4),
                         .grain = 0.03,
                         .gloss = 0.2,
                         .shininess = 12}};
  skin.marks = {{Scatter(body, 0.11, 0.04, rng), 0.018, {135, 105, 55}, 0.6}};
  double lean = rng.Uniform(-0.25, 0.25);
  return {{skin, Stem(Bezier({0, -0.96}, {0, -1.15}, {lean, -1.32}), 0.04, {100, 75, 35}, rng)}};
}

Fruit Avocado(Rng& rng) {
  double width = rng.Uniform(0.72, 0.8);
  Part skin{.outline = PearShape(width, rng.Uniform(0.6, 0.7), rng),
            .material = {.base = Vary({42, 68, 30}, rng),
                         .patch = Vary({75, 92, 38}, rng),
                         .patchiness = 0.35,
                         .patch_size = 0.3,
                         .grain = 0.2,
                         .bump = 0.45,
                         .gloss = 0.12,
                         .shininess = 8}};
  skin.marks = {{Spot({0, -0.95}), 0.12, {85, 70, 40}, 0.9, 0.02}};
  return {{skin}};
}

Fruit Cherry(Rng& rng) {
  double width = rng.Uniform(1.0, 1.1);
  auto wobble = Wobble(rng, 0.02);
  Polygon body = Trace([&](double a) {
    double r = wobble(a) * (1 - 0.12 * AngularBump(a, kTop, 0.35));
    return cv::Point2d(width * r * std::cos(a), r * std::sin(a));
  });
  Part skin{.outline = body,
            .material = {.base = Vary({150, 15, 32}, rng),
                         .patch = Vary({95, 5, 22}, rng),
                         .patchiness = 0.3,
                         .patch_size = 0.9,
                         .patch_edge = 0.6,
                         .grain = 0.01,
                         .gloss = 0.75,
                         .shininess = 45}};
  double lean = rng.Uniform(-0.6, 0.6);
  return {{skin, Stem(Bezier({0, -0.85}, {0.1, -1.4}, {lean, -1.9}), 0.045, {115, 125, 60}, rng)}};
}

Fruit Eggplant(Rng& rng) {
  double bend = rng.Uniform(-0.3, 0.3);
  Polygon spine = Bezier({0, -1.3}, {bend, 0}, {0, 1.3}, 24);
  double top = rng.Uniform(0.22, 0.28), bottom = rng.Uniform(0.45, 0.55);
  Part skin{.outline = Band(spine,
                            [=](double t) {
                              return (top + (bottom - top) * t) * std::pow(std::sin(kPi * t), 0.3);
                            }),
            .material = {.base = Vary({52, 22, 58}, rng),
                         .patch = Vary({95, 45, 95}, rng),
                         .patchiness = 0.15,
                         .grain = 0.01,
                         .gloss = 0.9,
                         .shininess = 60}};
  cv::Point2d cap = spine[3];
  return {
      {skin, Calyx(cap, 6, 0.18, 0.45, 0.6, rng),
       Stem({spine[2], spine[0], spine[0] + cv::Point2d(0.05, -0.3)}, 0.07, {95, 125, 60}, rng)}};
}

Fruit Peach(Rng& rng) {
  auto wobble = Wobble(rng, 0.03);
  Polygon body = Trace([&](double a) {
    double r = wobble(a) * (1 + 0.05 * AngularBump(a, kBottom, 0.3));
    return cv::Point2d(r * std::cos(a), r * std::sin(a));
  });
  Part skin{.outline = body,
            .material = {.base = Vary({245, 178, 95}, rng),
                         .patch = Vary({205, 55, 45}, rng),
                         .patchiness = rng.Uniform(0.35, 0.65),
                         .patch_size = 0.9,
                         .patch_edge = 1,
                         .grain = 0.05,
                         .gloss = 0.06,
                         .shininess = 6}};
  skin.marks = {
      {{Meridian(rng.Uniform(-0.5, 0.5), 1, 0.95, 0, 0)}, 0.05, {175, 70, 45}, 0.5, 0.05}};
  return {{skin}};
}

Fruit Plum(Rng& rng) {
  Polygon body = Egg(rng.Uniform(0.82, 0.9), -0.05, rng);
  Part skin{.outline = body,
            .material = {.base = Vary({100, 26, 58}, rng),
                         .patch = Vary({125, 75, 110}, rng),
                         .patchiness = 0.2,
                         .patch_size = 0.25,
                         .patch_edge = 0.8,
                         .grain = 0.02,
                         .gloss = 0.35,
                         .shininess = 20}};
  skin.marks = {
      {{Meridian(rng.Uniform(-0.5, 0.5), 0.85, 0.95, 0, 0)}, 0.05, {60, 15, 40}, 0.4, 0.05}};
  return {{skin}};
}

Fruit Tomato(Rng& rng) {
  double height = rng.Uniform(0.8, 0.9);
  double phase = rng.Uniform(0, 2 * kPi);
  Polygon body = Trace([&](double a) {
    double r = 1 + 0.025 * std::cos(5 * a + phase) - 0.05 * AngularBump(a, kTop, 0.3);
    return cv::Point2d(r * std::cos(a), height * r * std::sin(a));
  });
  Part skin{.outline = body,
            .material = {.base = Vary({225, 35, 25}, rng),
                         .patch = Vary({240, 85, 30}, rng),
                         .patchiness = 0.15,
                         .grain = 0.01,
                         .gloss = 0.7,
                         .shininess = 40}};
  double top = -0.78 * height;
  return {{skin, Calyx({0, top}, 5, 0.06, 0.45, 0.35, rng),
           Stem(Bezier({0, top}, {0, top - 0.12}, {0.04, top - 0.2}), 0.045, {80, 120, 50}, rng)}};
}

Fruit Watermelon(Rng& rng) {
  double rx = rng.Uniform(0.72, 0.82);
  Polygon body = Egg(rx, 0.03, rng);
  Part skin{.outline = body,
            .material = {.base = Vary({140, 178, 92}, rng),
                         .patch = Vary({110, 150, 70}, rng),
                         .patchiness = 0.3,
                         .grain = 0.03,
                         .gloss = 0.3,
                         .shininess = 15}};
  std::vector<Polygon> stripes;
  for (int i = -4; i <= 4; ++i) {
    double offset = i / 4.4 + rng.Normal(0, 0.03);
    stripes.push_back(Meridian(offset, rx, 1, 0.06, rng.Uniform(0, 2 * kPi)));
  }
  skin.marks = {{stripes, 0.09, {38, 88, 38}, 0.85, 0.03}};
  return {{skin}};
}

struct FruitKind {
  std::string_view label;  // a Fruits-360 folder name
  std::string_view slug;   // in multi-fruit file names
  double size;             // typical length beside other fruits, an apple's = 1
  Fruit (*build)(Rng& rng);
};

// The most distinct kinds first: `classes` takes a prefix.
constexpr FruitKind kKinds[] = {
    {"Apple Red 1", "apple", 1.0, AppleRed},
    {"Banana", "banana", 1.6, Banana},
    {"Orange", "orange", 1.0, Orange},
    {"Kiwi", "kiwi", 0.75, Kiwi},
    {"Grape Blue", "grapes", 1.3, GrapeBlue},
    {"Lemon", "lemon", 0.9, Lemon},
    {"Strawberry", "strawberry", 0.55, Strawberry},
    {"Pear", "pear", 1.2, Pear},
    {"Lime", "lime", 0.7, Lime},
    {"Avocado", "avocado", 1.0, Avocado},
    {"Cherry 1", "cherry", 0.55, Cherry},
    {"Eggplant", "eggplant", 1.7, Eggplant},
    {"Peach", "peach", 0.9, Peach},
    {"Plum", "plum", 0.65, Plum},
    {"Tomato 1", "tomato", 0.85, Tomato},
    {"Watermelon", "watermelon", 2.0, Watermelon},
};

// ---- Painting

struct Light {
  cv::Vec3d direction;  // towards the light, unit length; z towards the camera
  cv::Vec3d half;       // halfway between the light and the camera, for highlights
  cv::Vec3d colour;     // B, G, R gains: exposure and white balance
  double ambient = 0.3;
};

Light RandomLight(Rng& rng) {
  double azimuth = rng.Normal(-2.3, 0.3);  // from the upper left, as in a studio
  double elevation = rng.Uniform(0.7, 0.95);
  Light light;
  light.direction =
      cv::normalize(cv::Vec3d(std::cos(azimuth) * std::cos(elevation),
                              std::sin(azimuth) * std::cos(elevation), std::sin(elevation)));
  light.half = cv::normalize(light.direction + cv::Vec3d(0, 0, 1));
  double exposure = rng.Normal(1, 0.05);
  for (int c = 0; c < 3; ++c) light.colour[c] = exposure * rng.Normal(1, 0.025);
  light.ambient = rng.Uniform(0.25, 0.35);
  return light;
}

cv::Rect2d FruitBox(const Fruit& fruit, const Pose& pose) {
  cv::Rect2d box;
  for (const Part& part : fruit.parts) box |= Box(part.outline, pose);
  return box;
}

// Fits a fruit turned by `angle` so that its longer side is `extent` pixels, centred at `centre`.
Pose FitPose(const Fruit& fruit, double angle, double extent, cv::Point2d centre) {
  Pose pose{.angle = angle};
  cv::Rect2d box = FruitBox(fruit, pose);
  pose.scale = extent / std::max(box.width, box.height);
  pose.shift = centre - pose.scale * (box.tl() + box.br()) / 2;
  return pose;
}

// Moves a posed fruit back into the frame, with a small margin, where it sticks out.
void KeepInFrame(const Fruit& fruit, cv::Size frame, Pose& pose) {
  cv::Rect2d box = FruitBox(fruit, pose);
  double margin = 0.02 * frame.width;
  pose.shift.x += std::max(0.0, margin - box.x) - std::max(0.0, box.br().x - frame.width + margin);
  pose.shift.y += std::max(0.0, margin - box.y) - std::max(0.0, box.br().y - frame.height + margin);
}

std::vector<cv::Point> ToPixels(const Polygon& points, const Pose& pose, cv::Point origin) {
  std::vector<cv::Point> pixels;
  for (const cv::Point2d& p : points) {
    cv::Point2d q = pose.Apply(p) - cv::Point2d(origin);
    pixels.emplace_back(cvRound(q.x * kFixedPointScale), cvRound(q.y * kFixedPointScale));
  }
  return pixels;
}

// The pixels an outline touches, and `pad` more on every side.
cv::Rect Bounds(const Polygon& outline, const Pose& pose, int pad) {
  cv::Rect2d box = Box(outline, pose);
  cv::Point tl(cvFloor(box.x) - pad, cvFloor(box.y) - pad);
  cv::Point br(cvCeil(box.br().x) + pad + 1, cvCeil(box.br().y) + pad + 1);
  return {tl, br};
}

// How much of each pixel of `roi` the outline covers, 0..255 with anti-aliased edges.
cv::Mat Coverage(const Polygon& outline, const Pose& pose, cv::Rect roi) {
  cv::Mat coverage = cv::Mat::zeros(roi.size(), CV_8U);
  std::vector<std::vector<cv::Point>> polygons{ToPixels(outline, pose, roi.tl())};
  cv::fillPoly(coverage, polygons, 255, cv::LINE_AA, kFixedPointBits);
  return coverage;
}

// Smooth value noise, about -1..1, with features about `cell` pixels across.
cv::Mat SmoothNoise(cv::Size size, double cell, Rng& rng) {
  cv::Mat_<float> grid(std::max(2, static_cast<int>(size.height / cell) + 2),
                       std::max(2, static_cast<int>(size.width / cell) + 2));
  for (float& v : grid) v = static_cast<float>(rng.Uniform(-1, 1));
  cv::Mat noise;
  cv::resize(grid, noise, size, 0, 0, cv::INTER_CUBIC);
  return noise;
}

// Pores and fuzz stay about this size whatever the fruit's size in pixels.
double GrainCell(const Pose& pose) { return std::max(1.0, 0.02 * pose.scale); }

// The slopes (dh/dx, dh/dy) of a dome raised over the covered pixels: its height grows with the
// distance from the edge as a sphere's does, so rims turn away from the light and the middle
// faces the camera.
void Slopes(const cv::Mat& coverage, const Part& part, const Pose& pose, Rng& rng, cv::Mat& dx,
            cv::Mat& dy) {
  cv::Mat distance;
  cv::distanceTransform(coverage >= 128, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  double peak = 1;
  cv::minMaxLoc(distance, nullptr, &peak);
  peak = std::max(peak, 1.0);
  cv::Mat height(distance.size(), CV_32F);
  for (int y = 0; y < height.rows; ++y) {
    const float* d = distance.ptr<float>(y);
    float* h = height.ptr<float>(y);
    for (int x = 0; x < height.cols; ++x) {
      double t = std::min(d[x] / peak, 1.0);
      h[x] = static_cast<float>(part.relief * peak * std::sqrt(1 - Square(1 - t)));
    }
  }
  // Smoothing hides the creases of the distance transform along the shape's middle line.
  cv::GaussianBlur(height, height, {0, 0}, std::max(0.8, 0.12 * peak));
  if (part.material.bump > 0) {
    double cell = GrainCell(pose);
    height += part.material.bump * cell * SmoothNoise(height.size(), cell, rng);
  }
  cv::Sobel(height, dx, CV_32F, 1, 0, 3, 1.0 / 8);
  cv::Sobel(height, dy, CV_32F, 0, 1, 3, 1.0 / 8);
}

// A layer of marks as 0..1 strength per pixel of `roi`.
cv::Mat PaintMarks(const Marks& marks, const Pose& pose, cv::Rect roi) {
  cv::Mat layer = cv::Mat::zeros(roi.size(), CV_8U);
  double width = marks.width * pose.scale;
  for (const Polygon& stroke : marks.strokes) {
    std::vector<cv::Point> pixels = ToPixels(stroke, pose, roi.tl());
    if (pixels.size() == 1) {
      int radius = std::max(1, cvRound(width / 2 * kFixedPointScale));
      cv::circle(layer, pixels[0], radius, 255, cv::FILLED, cv::LINE_AA, kFixedPointBits);
    } else {
      std::vector<std::vector<cv::Point>> lines{pixels};
      cv::polylines(layer, lines, false, 255, std::max(1, cvRound(width)), cv::LINE_AA,
                    kFixedPointBits);
    }
  }
  cv::Mat strength;
  layer.convertTo(strength, CV_32F, marks.opacity / 255);
  if (double blur = marks.softness * pose.scale; blur > 0.3) {
    cv::GaussianBlur(strength, strength, {0, 0}, blur);
  }
  return strength;
}

cv::Vec3f Bgr(const Rgb& c) {
  return cv::Vec3f(static_cast<float>(c.b / 255), static_cast<float>(c.g / 255),
                   static_cast<float>(c.r / 255));
}

// The part's unlit colour over `roi`: base and patch colours, grain, then marks (BGR, 0..1).
cv::Mat Skin(const Part& part, const Pose& pose, cv::Rect roi, Rng& rng) {
  const Material& m = part.material;
  cv::Mat patches = SmoothNoise(roi.size(), m.patch_size * pose.scale, rng);
  cv::Mat grain = SmoothNoise(roi.size(), GrainCell(pose), rng);
  double threshold = 1 - 2 * m.patchiness;
  cv::Vec3f base = Bgr(m.base), patch = Bgr(m.patch);
  cv::Mat skin(roi.size(), CV_32FC3);
  for (int y = 0; y < roi.height; ++y) {
    const float* p = patches.ptr<float>(y);
    const float* g = grain.ptr<float>(y);
    cv::Vec3f* s = skin.ptr<cv::Vec3f>(y);
    for (int x = 0; x < roi.width; ++x) {
      float mix =
          static_cast<float>(SmoothStep(threshold - m.patch_edge, threshold + m.patch_edge, p[x]));
      s[x] = (base * (1 - mix) + patch * mix) * static_cast<float>(1 + m.grain * g[x]);
    }
  }
  for (const Marks& marks : part.marks) {
    cv::Mat strength = PaintMarks(marks, pose, roi);
    cv::Vec3f colour = Bgr(marks.colour);
    for (int y = 0; y < roi.height; ++y) {
      const float* a = strength.ptr<float>(y);
      cv::Vec3f* s = skin.ptr<cv::Vec3f>(y);
      for (int x = 0; x < roi.width; ++x) s[x] = s[x] * (1 - a[x]) + colour * a[x];
    }
  }
  return skin;
}

// Lights the skin (wrapped diffuse, darker where the surface turns away, a highlight) and lays
// it over the canvas where the part covers it.
void Shade(const cv::Mat& skin, const cv::Mat& coverage, const cv::Mat& dx, const cv::Mat& dy,
           const Material& m, const Light& light, cv::Mat canvas) {
  constexpr double kWrap = 0.35;
  for (int y = 0; y < skin.rows; ++y) {
    const uint8_t* cover = coverage.ptr<uint8_t>(y);
    const float* sx = dx.ptr<float>(y);
    const float* sy = dy.ptr<float>(y);
    const cv::Vec3f* s = skin.ptr<cv::Vec3f>(y);
    cv::Vec3f* out = canvas.ptr<cv::Vec3f>(y);
    for (int x = 0; x < skin.cols; ++x) {
      if (cover[x] == 0) continue;
      cv::Vec3d normal = cv::normalize(cv::Vec3d(-sx[x], -sy[x], 1));
      double diffuse = std::max(0.0, (normal.dot(light.direction) + kWrap) / (1 + kWrap));
      double occlusion = 0.55 + 0.45 * normal[2];
      double lit = (light.ambient + (1 - light.ambient) * diffuse) * occlusion;
      double highlight = m.gloss * std::pow(std::max(0.0, normal.dot(light.half)), m.shininess);
      float alpha = cover[x] / 255.0f;
      for (int c = 0; c < 3; ++c) {
        double value = light.colour[c] * (s[x][c] * lit + highlight);
        out[x][c] = out[x][c] * (1 - alpha) + static_cast<float>(value) * alpha;
      }
    }
  }
}

void PaintPart(const Part& part, const Pose& pose, const Light& light, Rng& rng, cv::Mat& canvas) {
  cv::Rect roi = Bounds(part.outline, pose, 3) & cv::Rect({0, 0}, canvas.size());
  if (roi.empty()) return;
  cv::Mat coverage = Coverage(part.outline, pose, roi);
  cv::Mat dx, dy;
  Slopes(coverage, part, pose, rng, dx, dy);
  Shade(Skin(part, pose, roi, rng), coverage, dx, dy, part.material, light, canvas(roi));
}

// A soft shadow on the background, cast away from the light.
void CastShadow(const Fruit& fruit, const Pose& pose, const Light& light, cv::Mat& canvas) {
  double blur = 0.12 * pose.scale;
  cv::Point2d away(-light.direction[0], -light.direction[1]);
  Pose shadow = pose;
  shadow.shift += 0.12 * pose.scale * away / std::max(cv::norm(away), 1e-9);
  int pad = cvCeil(3 * blur) + 1;
  cv::Rect roi;
  for (const Part& part : fruit.parts) roi |= Bounds(part.outline, shadow, pad);
  roi &= cv::Rect({0, 0}, canvas.size());
  if (roi.empty()) return;
  cv::Mat darkness = cv::Mat::zeros(roi.size(), CV_8U);
  for (const Part& part : fruit.parts) {
    cv::max(darkness, Coverage(part.outline, shadow, roi), darkness);
  }
  cv::Mat shade;
  darkness.convertTo(shade, CV_32F, -0.22 / 255, 1);
  cv::GaussianBlur(shade, shade, {0, 0}, blur);
  cv::Mat target = canvas(roi);
  cv::Mat channels[3];
  cv::split(target, channels);
  for (cv::Mat& channel : channels) channel = channel.mul(shade);
  cv::merge(channels, 3, target);
}

void PaintFruit(const Fruit& fruit, const Pose& pose, const Light& light, Rng& rng,
                cv::Mat& canvas) {
  CastShadow(fruit, pose, light, canvas);
  for (const Part& part : fruit.parts) PaintPart(part, pose, light, rng, canvas);
}

// A white background, nearly pure as in Fruits-360 where it was cleaned up.
cv::Mat Background(cv::Size size, Rng& rng) {
  return cv::Mat(size, CV_32FC3, cv::Scalar::all(rng.Uniform(0.985, 1.0)));
}

// Camera softness and sensor noise, then 8-bit JPEG.
std::string Finish(cv::Mat& canvas, Rng& rng) {
  cv::GaussianBlur(canvas, canvas, {0, 0}, 0.5);
  cv::Mat noise(canvas.size(), CV_32FC3);
  cv::RNG(rng.Bits()).fill(noise, cv::RNG::NORMAL, 0, 0.006);
  canvas += noise;
  cv::Mat pixels;
  canvas.convertTo(pixels, CV_8UC3, 255);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", pixels, jpeg, {cv::IMWRITE_JPEG_QUALITY, kJpegQuality});
  return std::string(jpeg.begin(), jpeg.end());
}

// One fruit filling 60-90% of a 100x100 frame, turned and shifted at random.
std::string RenderSingle(const FruitKind& kind, Rng& rng) {
  Light light = RandomLight(rng);
  cv::Mat canvas = Background({kSingleSize, kSingleSize}, rng);
  Fruit fruit = kind.build(rng);
  double extent = rng.Uniform(0.6, 0.9) * kSingleSize;
  double room = (kSingleSize - extent) / 2;
  cv::Point2d centre{kSingleSize / 2.0 + rng.Uniform(-room, room) * 0.7,
                     kSingleSize / 2.0 + rng.Uniform(-room, room) * 0.7};
  PaintFruit(fruit, FitPose(fruit, rng.Uniform(0, 2 * kPi), extent, centre), light, rng, canvas);
  return Finish(canvas, rng);
}

struct Placed {
  const FruitKind* kind;
  Fruit fruit;
  Pose pose;
  double depth;  // the centre's row: lower in the frame is nearer the camera
};

// Three to six fruits of the given kinds lying side by side across the frame, overlapping, at
// their relative sizes; nearer ones are lower in the frame.
std::string RenderMulti(const std::vector<const FruitKind*>& kinds, Rng& rng,
                        std::vector<const FruitKind*>& shown) {
  Light light = RandomLight(rng);
  cv::Mat canvas = Background({kMultiWidth, kMultiHeight}, rng);
  int count = rng.Int(3, 6);
  double slot = 0.8 * kMultiWidth / count;
  double apple = std::min(0.4 * kMultiHeight, 1.7 * slot);  // an apple's size in pixels
  std::vector<Placed> placed;
  for (int i = 0; i < count; ++i) {
    const FruitKind* kind = kinds[rng.Int(0, static_cast<int>(kinds.size()) - 1)];
    Fruit fruit = kind->build(rng);
    double extent = std::min(kind->size * apple * rng.Uniform(0.85, 1.1), 0.7 * kMultiHeight);
    double room = std::max(0.0, (kMultiHeight - extent) / 2 - 0.05 * kMultiHeight);
    cv::Point2d centre{0.1 * kMultiWidth + (i + rng.Uniform(0.25, 0.75)) * slot,
                       kMultiHeight / 2.0 + rng.Uniform(-0.6, 0.6) * room};
    Pose pose = FitPose(fruit, rng.Uniform(0, 2 * kPi), extent, centre);
    KeepInFrame(fruit, {kMultiWidth, kMultiHeight}, pose);
    placed.push_back({kind, std::move(fruit), pose, centre.y});
  }
  std::stable_sort(placed.begin(), placed.end(),
                   [](const Placed& a, const Placed& b) { return a.depth < b.depth; });
  for (const Placed& p : placed) {
    PaintFruit(p.fruit, p.pose, light, rng, canvas);
    shown.push_back(p.kind);
  }
  return Finish(canvas, rng);
}

// Like Fruits-360's "apple_banana_kiwi.jpg": the kinds shown, in name order, made unique.
std::string MultiFruitName(std::vector<const FruitKind*> shown, std::map<std::string, int>& used) {
  std::vector<std::string_view> slugs;
  for (const FruitKind* kind : shown) slugs.push_back(kind->slug);
  std::sort(slugs.begin(), slugs.end());
  slugs.erase(std::unique(slugs.begin(), slugs.end()), slugs.end());
  std::string name;
  for (std::string_view slug : slugs) name.append(name.empty() ? "" : "_").append(slug);
  if (int repeat = ++used[name]; repeat > 1) name.append("_").append(std::to_string(repeat));
  return name + ".jpg";
}

void CheckRange(const char* what, int64_t value, int64_t lo, int64_t hi, const char* why) {
  if (value < lo || value > hi) {
    throw UsageError("sample dataset: " + std::string(what) + " must be between " +
                     std::to_string(lo) + " and " + std::to_string(hi) + why + ", got " +
                     std::to_string(value));
  }
}

void Validate(const SampleDatasetOptions& options, const std::string& root) {
  if (root.empty()) throw UsageError("sample dataset: the output folder is empty; name one");
  CheckRange("classes", options.classes, 1, std::size(kKinds), " (the built-in fruit kinds)");
  CheckRange("per-class", options.per_class, 0, kMaxPerClass, " (Training images per label)");
  CheckRange("test-per-class", options.test_per_class, 0, kMaxPerClass, " (Test images per label)");
  CheckRange("multi-fruit", options.multi_fruit, 0, kMaxMultiFruit,
             " (images with several fruits)");
}

}  // namespace

const std::vector<std::string>& SampleFruitLabels() {
  static const std::vector<std::string> labels = [] {
    std::vector<std::string> names;
    for (const FruitKind& kind : kKinds) names.emplace_back(kind.label);
    return names;
  }();
  return labels;
}

SampleDatasetSummary WriteSampleDataset(storage::ObjectStore& store, const std::string& root,
                                        const SampleDatasetOptions& options) {
  Validate(options, root);
  SampleDatasetSummary summary;
  std::vector<const FruitKind*> kinds;
  for (int label = 0; label < options.classes; ++label) {
    kinds.push_back(&kKinds[label]);
    summary.labels.emplace_back(kKinds[label].label);
  }
  const struct {
    const char* folder;
    int count;
  } splits[] = {{"Training", options.per_class}, {"Test", options.test_per_class}};
  for (uint64_t split = 0; split < std::size(splits); ++split) {
    for (uint64_t label = 0; label < kinds.size(); ++label) {
      std::string folder =
          storage::JoinUri(root, splits[split].folder + ("/" + summary.labels[label]));
      for (int i = 0; i < splits[split].count; ++i) {
        Rng rng(ImageSeed(options.seed, split, label, i));
        store.Write(folder + "/" + std::to_string(i) + "_100.jpg",
                    RenderSingle(*kinds[label], rng));
        ++summary.images;
      }
    }
  }
  std::map<std::string, int> used;
  for (int i = 0; i < options.multi_fruit; ++i) {
    Rng rng(ImageSeed(options.seed, std::size(splits), 0, i));
    std::vector<const FruitKind*> shown;
    std::string jpeg = RenderMulti(kinds, rng, shown);
    store.Write(storage::JoinUri(root, "test-multiple-fruits/" + MultiFruitName(shown, used)),
                jpeg);
    ++summary.images;
  }
  return summary;
}

}  // namespace fruits::sample
