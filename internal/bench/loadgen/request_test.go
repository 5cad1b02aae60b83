package loadgen

import "testing"

func TestRequestBuild(t *testing.T) {
	tests := []struct {
		spec RequestSpec
		want string
	}{
		{RequestSpec{Host: "127.0.0.1:1"}, "GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\nUser-Agent: miniasync-bench\r\n\r\n"},
		{RequestSpec{Method: "POST", Path: "/up?x=1", Host: "h", BodySize: 3},
			"POST /up?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: miniasync-bench\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\nxxx"},
	}
	for _, tt := range tests {
		got, err := tt.spec.Build()
		if err != nil {
			t.Fatalf("%+v: %v", tt.spec, err)
		}
		if string(got) != tt.want {
			t.Errorf("%+v:\n got %q\nwant %q", tt.spec, got, tt.want)
		}
	}
	for _, bad := range []RequestSpec{
		{Method: "GE T"},
		{Method: "GET\r\n"},
		{Path: "no-slash"},
		{Path: "/a b"},
		{BodySize: -1},
		{Host: "a\r\nX: y"},
	} {
		if _, err := bad.Build(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if !(RequestSpec{Method: "head"}).IsHead() || (RequestSpec{}).IsHead() {
		t.Error("IsHead is wrong")
	}
}
