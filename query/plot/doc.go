// Package plot draws the figures of kdf's evaluation reports with
// gonum.org/v1/plot: a histogram over log2 value buckets, CDFs of named
// series, coverage growth per fuzzer arm across trials, and a bar chart
// of the top-K items with their shares.
//
// Each constructor takes plain slices and structs (no query or DuckDB
// types) and returns a Figure; Figure.Save writes it as SVG, PNG or PDF
// chosen by the file extension, and Figure.Write does the same to any
// writer. Inputs are checked before anything is drawn: an empty series,
// a NaN or an infinite value is an error naming the series, not a
// blank or misleading picture.
//
// Text uses the Liberation fonts compiled into gonum/plot, so rendering
// needs no system fonts, and no figure needs one to be shown or
// printed: PDF embeds the font, PNG is pixels, and SVG draws every
// glyph as its outline (a path), so that a paper's build converting it
// (Inkscape, rsvg-convert) or a browser without Liberation shows the
// same letters; the SVG's <title> and <desc> keep the figure's texts
// for screen readers and search. SVG output is a pure function of the
// input: the same figure gives the same bytes, so tests compare files.
// PDF output is not (the PDF library stamps a creation date).
//
// Styling aims at print: the Okabe-Ito colour-blind-safe palette, and
// a different dash pattern per line so figures survive greyscale.
// Count axes label ticks with SI suffixes (10k, 2.5M).
package plot
