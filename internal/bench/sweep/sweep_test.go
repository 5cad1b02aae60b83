package sweep

import (
	"slices"
	"strings"
	"testing"
)

func TestParseList(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr string
	}{
		{"64", []int{64}, ""},
		{"64,256", []int{64, 256}, ""},
		{" 1, 16 ,4", []int{1, 16, 4}, ""},
		{"", nil, "empty list"},
		{"  ", nil, "empty list"},
		{"0", nil, "out of range"},
		{"-4", nil, "out of range"},
		{"100001", nil, "out of range"},
		{"a", nil, "not a whole number"},
		{"1,,2", nil, "not a whole number"},
		{"1.5", nil, "not a whole number"},
		{"8,8", nil, "listed twice"},
	}
	for _, tt := range tests {
		got, err := ParseList("conns", tt.in, 100000)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--conns") {
				t.Errorf("%q: err %v, want one naming --conns with %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestPoints(t *testing.T) {
	got := Points([]int{64, 256}, []int{1, 16})
	want := []Point{{64, 1}, {64, 16}, {256, 1}, {256, 16}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if s := want[1].String(); s != "conns=64 pipeline=16" {
		t.Errorf("String: %q", s)
	}
}
