package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/miniasync/miniasync/internal/bench/result"
)

// WriteJSON writes the whole report as indented JSON.
func WriteJSON(w io.Writer, rep *result.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("report: encode JSON: %w", err)
	}
	return nil
}

// WriteJSONFile writes the report to the named file.
func WriteJSONFile(path string, rep *result.Report) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("report: %w", cerr)
		}
	}()
	return WriteJSON(f, rep)
}
