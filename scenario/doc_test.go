package scenario

import (
	"os"
	"regexp"
	"testing"
)

// TestFormatDocExamples parses every complete example of
// docs/scenario-format.md, so the documentation stays true.
func TestFormatDocExamples(t *testing.T) {
	data, err := os.ReadFile("../docs/scenario-format.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```(yaml|json)\n(.*?)```").FindAllSubmatch(data, -1)
	if len(blocks) < 7 {
		t.Fatalf("found %d examples, want at least 7", len(blocks))
	}
	for i, b := range blocks {
		if _, err := Parse(b[2], "scenario-format.md example "+string(rune('0'+i))); err != nil {
			t.Errorf("example %d (%s) is invalid: %v", i, b[1], err)
		}
	}
}
