// Package plot draws Parley's figures with gonum/plot, as SVG or PNG, for
// the command line and the web page: the utility space of one negotiation
// (Negotiation), a tournament's score per competitor with confidence
// intervals (Scores), and its agreement rate per scenario (AgreementRates).
//
// Every figure is deterministic: the same input gives the same file.
package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"parley"
)

// Figure sizes.
const (
	Width  = 16 * vg.Centimeter
	Height = 12 * vg.Centimeter
)

// Palette holds the colours of the figures: colour-blind safe (Okabe & Ito
// 2008), one per party or competitor, cycling.
var Palette = []color.RGBA{
	{0x00, 0x72, 0xb2, 0xff}, // blue
	{0xd5, 0x5e, 0x00, 0xff}, // vermillion
	{0x00, 0x9e, 0x73, 0xff}, // bluish green
	{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	{0xe6, 0x9f, 0x00, 0xff}, // orange
	{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	{0xf0, 0xe4, 0x42, 0xff}, // yellow
}

// colour returns the i-th palette colour.
func colour(i int) color.RGBA { return Palette[i%len(Palette)] }

// Format returns the figure format of a file name: "svg" or "png".
func Format(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg", ".png":
		return ext[1:], nil
	default:
		return "", parley.Errorf(parley.EINVALID, "figure %q: want a .svg or .png file name", path)
	}
}

// Write renders p in format ("svg" or "png") to w at the standard size.
func Write(w io.Writer, p *gplot.Plot, format string) error {
	wt, err := p.WriterTo(Width, Height, format)
	if err != nil {
		return fmt.Errorf("render %s: %w", format, err)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("render %s: %w", format, err)
	}
	return nil
}

// Save renders p to the file path, in the format of its extension.
func Save(path string, p *gplot.Plot) error {
	format, err := Format(path)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := Write(&b, p, format); err != nil {
		return fmt.Errorf("figure %s: %w", path, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("figure: %w", err)
	}
	return nil
}
