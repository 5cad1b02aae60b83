package server_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/server"
)

// compareWithNetHTTP sends req (then the closing request) to net/http's
// server and to HTTPHandler with cfg, both serving h, and fails on any
// byte difference, Date aside.
func compareWithNetHTTP(t *testing.T, h http.Handler, cfg server.Config, req string) {
	t.Helper()
	std := startNetHTTP(t, h)
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	_, ours := suite.Start(t, suite.Target{Backend: poller.Default()}, cfg, server.HTTPHandler(h))
	want := exchangeRaw(t, std, req)
	got := exchangeRaw(t, ours, req)
	if got != want {
		t.Errorf("responses differ\nnet/http:\n%q\nminiasync:\n%q", want, got)
	}
}

// TestHTTPHandlerExpectContinue: 100 Continue goes out once, when the
// handler first reads a streamed body, and never after the handler set its
// final status (flushed or not), where it would land inside the response:
// byte for byte as net/http.
func TestHTTPHandlerExpectContinue(t *testing.T) {
	const req = "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"
	readBack := func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%q %v", b, err)
	}
	for name, h := range map[string]http.HandlerFunc{
		"read first": readBack,
		"write, flush, then read": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "resp ")
			w.(http.Flusher).Flush()
			readBack(w, r)
		},
		"write, then read": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "resp ")
			readBack(w, r)
		},
		"WriteHeader(100), then read": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusContinue)
			readBack(w, r)
		},
	} {
		t.Run(name, func(t *testing.T) { compareWithNetHTTP(t, h, server.Config{StreamBodies: true}, req) })
	}
}

// TestHTTPHandlerHeaderAfterWriteHeader: the head carries the header as it
// was when the status was set; later changes (even a late Trailer
// declaration) are not sent, as in net/http.
func TestHTTPHandlerHeaderAfterWriteHeader(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"set after WriteHeader": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			w.Header().Set("Location", "/x")
			io.WriteString(w, "x")
		},
		"set after Write": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "x")
			w.Header().Set("X-Late", "1")
		},
		"trailer declared after Write": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "b")
			w.Header().Set("Trailer", "X-A")
			w.Header().Set("X-A", "a")
		},
	} {
		t.Run(name, func(t *testing.T) {
			compareWithNetHTTP(t, h, server.Config{}, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
		})
	}
}

// TestHTTPHandlerTrailerIfForbidden: a Trailer declaration naming an If-*
// field is dropped, as net/http does.
func TestHTTPHandlerTrailerIfForbidden(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "If-Match, X-A")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "b")
		w.Header().Set("If-Match", "m")
		w.Header().Set("X-A", "a")
	})
	compareWithNetHTTP(t, h, server.Config{}, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
}

// TestHTTPHandlerMultipartFilesRemoved: the temporary files of
// r.ParseMultipartForm are removed when the handler returns, as net/http
// does.
func TestHTTPHandlerMultipartFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(16); err != nil { // small: the file goes to disk
			http.Error(w, err.Error(), 400)
			return
		}
		io.WriteString(w, "ok")
	})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("f", "f.bin")
	fw.Write(bytes.Repeat([]byte("z"), 4096))
	mw.Close()
	req := fmt.Sprintf("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", mw.FormDataContentType(), body.Len(), body.String())
	leftover := func() []string {
		var names []string
		for range 40 { // up to 2 s for the server to clean up
			ents, _ := os.ReadDir(dir)
			names = names[:0]
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "multipart-") {
					names = append(names, e.Name())
				}
			}
			if len(names) == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		return names
	}
	std := startNetHTTP(t, h)
	if got := exchangeRaw(t, std, req); !strings.Contains(got, "\r\n\r\nok") {
		t.Fatalf("baseline net/http: %q", got)
	}
	if names := leftover(); len(names) != 0 {
		t.Fatalf("baseline net/http left %v", names)
	}
	_, ours := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2}, server.HTTPHandler(h))
	if got := exchangeRaw(t, ours, req); !strings.Contains(got, "\r\n\r\nok") {
		t.Fatalf("miniasync: %q", got)
	}
	if names := leftover(); len(names) != 0 {
		t.Errorf("temporary files of the multipart form left after the handler returned: %v", names)
	}
}

// TestHTTPHandlerRequestAsNetHTTP: what a handler sees of the request
// matches net/http for the cases its server normalises: request trailers
// (declared keys first, values once the body is read to its end), an empty
// chunked body (a body, not http.NoBody), Pragma: no-cache, a repeated
// Content-Length, and "OPTIONS *", which net/http answers itself.
func TestHTTPHandlerRequestAsNetHTTP(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "before %v\n", r.Trailer)
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "body %q %v nobody=%v\n", b, err, r.Body == http.NoBody)
		fmt.Fprintf(w, "after %v\n", r.Trailer)
		fmt.Fprintf(w, "header %v\n", r.Header)
	})
	for name, req := range map[string]string{
		"declared trailer":         "POST / HTTP/1.1\r\nHost: h\r\nTrailer: x-sum\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 6\r\nX-Sum: 7\r\n\r\n",
		"undeclared trailer":       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Other: o\r\n\r\n",
		"declared, none sent":      "POST / HTTP/1.1\r\nHost: h\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
		"empty chunked body":       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"trailer without chunking": "POST / HTTP/1.1\r\nHost: h\r\nTrailer: X-Sum\r\nContent-Length: 1\r\n\r\na",
		"pragma":                   "GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\n\r\n",
		"pragma and cache-control": "GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\nCache-Control: max-age=0\r\n\r\n",
		"content-length twice":     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab",
		"options asterisk":         "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		"options asterisk, body":   "OPTIONS * HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
		"options path":             "OPTIONS /x HTTP/1.1\r\nHost: h\r\n\r\n",
		"options asterisk, 4 KiB":  "OPTIONS * HTTP/1.1\r\nHost: h\r\nContent-Length: 4096\r\n\r\n" + strings.Repeat("a", 4096),
		"options asterisk, 5000 B": "OPTIONS * HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n" + strings.Repeat("a", 5000),
	} {
		t.Run(name, func(t *testing.T) { compareWithNetHTTP(t, h, server.Config{}, req) })
	}
}

// TestHTTPHandlerTrailersAfterClose: closing a chunked body unread fills
// r.Trailer too, as net/http's Close reads the body to its end.
func TestHTTPHandlerTrailersAfterClose(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body.Close()
		fmt.Fprintf(w, "after close %v", r.Trailer)
	})
	compareWithNetHTTP(t, h, server.Config{}, "POST / HTTP/1.1\r\nHost: h\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 6\r\n\r\n")
}

// TestHTTPHandlerStreamedTrailers: with StreamBodies the trailer fields
// of a streamed body are checked and dropped, so r.Trailer holds the
// declared keys only, and the Trailer header is gone as in net/http.
func TestHTTPHandlerStreamedTrailers(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%q %v trailer=%v header-trailer=%v", b, err, r.Trailer, r.Header["Trailer"])
	})
	_, ours := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2, StreamBodies: true}, server.HTTPHandler(h))
	got := exchangeRaw(t, ours, "POST / HTTP/1.1\r\nHost: h\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 6\r\n\r\n")
	if want := `"abc" <nil> trailer=map[X-Sum:[]] header-trailer=[]`; !strings.Contains(got, want) {
		t.Errorf("got %q, want the body to say %q", got, want)
	}
}

// TestHTTPHandlerURLAsNetHTTP: r.URL holds what net/http's server puts
// there for targets with bytes that path escaping would change (RawPath
// set, so EscapedPath and String keep the path as sent), and ServeMux's
// cleaning redirects point where net/http's do.
func TestHTTPHandlerURLAsNetHTTP(t *testing.T) {
	show := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := r.URL
		fmt.Fprintf(w, "path=%q raw=%q escaped=%q query=%q force=%v string=%q", u.Path, u.RawPath, u.EscapedPath(), u.RawQuery, u.ForceQuery, u.String())
	})
	mux := http.NewServeMux()
	mux.Handle("/", show)
	for _, target := range []string{
		"/", "/a/b", "/a!b", "/a(b)*'c", "/caf\xc3\xa9", "/a%20b", "/a%2Fb", "/$&+,:;=@-._~",
		"/x?y=1", "/x?", "/a!b?q=(1)", "/a!b%21", "/%C3%A9!",
	} {
		req := "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n"
		t.Run("fields "+target, func(t *testing.T) { compareWithNetHTTP(t, show, server.Config{}, req) })
	}
	for _, target := range []string{"/x!/z/../y", "/x!/./y", "/x!//y", "/caf\xc3\xa9/../y", "/a/../b"} {
		req := "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n"
		t.Run("mux "+target, func(t *testing.T) { compareWithNetHTTP(t, mux, server.Config{}, req) })
	}
}

// TestHTTPHandlerContentLengthPresentButEmpty: a handler that sets
// Content-Length to an empty value or to nil (net/http's way to suppress an
// automatic field) gets no computed Content-Length: chunked output for
// HTTP/1.1, close-delimited for HTTP/1.0, byte for byte as net/http. (A
// computed one beside the empty one made two differing Content-Length
// fields, a message no client may accept.)
func TestHTTPHandlerContentLengthPresentButEmpty(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"empty": func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Length"] = []string{""}
			io.WriteString(w, "hello")
		},
		"nil": func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Length"] = nil
			io.WriteString(w, "hello")
		},
		"nil, nothing written": func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Length"] = nil
		},
	} {
		for _, req := range []string{
			"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
			"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
			"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n",
		} {
			t.Run(name+" "+strings.Fields(req)[0]+" "+strings.Fields(req)[2], func(t *testing.T) {
				compareWithNetHTTP(t, h, server.Config{}, req)
			})
		}
	}
}
