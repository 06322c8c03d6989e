// Package stats holds the statistics kdf's evaluation reports print:
// location summaries of per-run measurements, bootstrap confidence
// intervals, the Mann-Whitney U test with the Vargha-Delaney A12 effect
// size for comparing fuzzer arms over repeated trials, and the entropy
// and log2 buckets used to describe argument value distributions.
//
// The definitions follow what reviewers will check the numbers against:
//
//   - Quantile is R's default (type 7, also NumPy's "linear" and
//     DuckDB's quantile_cont): for sorted x of length n and 0 <= p <= 1,
//     h = (n-1)p and Q(p) = x[floor h] + (h - floor h)(x[floor h+1] -
//     x[floor h]). Median is Quantile(x, 0.5). gonum's stat.Quantile
//     offers only R types 1 and 4, whose median of an even-sized sample
//     is the lower middle value, so it is not used here.
//   - GeoMean is defined only for positive values. A zero or negative
//     value yields NaN rather than 0 or an error: an overhead ratio of 0
//     is a broken measurement, and a summary of 0 would hide it.
//   - Bootstrap intervals use the percentile method and are the same
//     on every run: MedianCI takes its quantiles from the exact
//     bootstrap distribution of the median, with no resampling, and CI
//     and GeoMeanCI from resamples drawn on a seeded PCG stream.
//   - MannWhitney matches SciPy's mannwhitneyu(x, y, method='auto',
//     alternative='two-sided', use_continuity=True): U is the statistic
//     of x, the exact null distribution is used when either sample has
//     at most 8 values and the pooled sample has no ties, and otherwise
//     the normal approximation with tie correction and continuity
//     correction.
//   - A12 is the probability that a value from x exceeds one from y,
//     ties counting half (Vargha and Delaney, 2000). Its magnitude uses
//     their thresholds on the distance from 0.5: negligible below 0.06,
//     small below 0.14, medium below 0.21, large otherwise (that is,
//     A12 at 0.56, 0.64 and 0.71, or 0.44, 0.36 and 0.29).
//
// Functions take plain float64 slices and never modify them. Empty
// input gives NaN, as does NaN in the input.
package stats
