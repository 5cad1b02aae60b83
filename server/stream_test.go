package server_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/netpoll"
	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

// TestStreamingResponse checks Flush sends the head and the body so far
// while the handler still runs, as chunks for HTTP/1.1, close-delimited for
// HTTP/1.0, and that the connection serves the next request afterwards.
func TestStreamingResponse(t *testing.T) {
	for _, target := range []suite.Target{{Backend: poller.Default(), Inline: true}, {Backend: "netpoll"}, {Backend: poller.Default()}} {
		if !available(target.Backend) {
			continue
		}
		name := target.Backend
		if target.Inline {
			name += "/inline"
		}
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{}, 1)
			h := server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
				res.ContentType("text/plain")
				res.WriteString("first;")
				if err := res.Flush(); err != nil {
					t.Errorf("Flush: %v", err)
				}
				if req.Path() == "/wait" {
					<-release // the client must have the first part by now
				}
				res.WriteString("second;")
				res.Flush()
				res.WriteString("last")
			})
			_, addr := suite.Start(t, target, server.Config{Workers: 2}, h)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(c)
			path := "/wait"
			if target.Inline {
				path = "/" // an inline handler must not block the loop
			}
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
			res, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.TransferEncoding) != 1 || res.TransferEncoding[0] != "chunked" || res.Header.Get("Content-Type") != "text/plain" {
				t.Fatalf("head: %v %v", res.TransferEncoding, res.Header)
			}
			first := make([]byte, len("first;"))
			if _, err := io.ReadFull(res.Body, first); err != nil || string(first) != "first;" {
				t.Fatalf("first part: %q %v", first, err)
			}
			release <- struct{}{}
			rest, err := io.ReadAll(res.Body)
			if err != nil || string(rest) != "second;last" {
				t.Fatalf("rest: %q %v", rest, err)
			}
			// The connection is still good, and HTTP/1.0 gets the body
			// delimited by the close.
			fmt.Fprintf(c, "GET / HTTP/1.0\r\n\r\n")
			raw, _ := io.ReadAll(r)
			if !strings.Contains(string(raw), "Connection: close\r\n") || strings.Contains(string(raw), "Transfer-Encoding") ||
				!strings.HasSuffix(string(raw), "\r\n\r\nfirst;second;last") {
				t.Fatalf("HTTP/1.0 stream: %q", raw)
			}
		})
	}
}

// TestStreamingResponseSlowClient streams more than the socket buffers
// hold to a client that reads slowly: the handler waits for it (no
// unbounded buffering), and every byte arrives in order.
func TestStreamingResponseSlowClient(t *testing.T) {
	for _, backend := range poller.Available() {
		t.Run(backend, func(t *testing.T) {
			const parts, size = 64, 64 << 10
			h := server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
				chunk := make([]byte, size)
				for i := range parts {
					for j := range chunk {
						chunk[j] = byte('a' + i%26)
					}
					res.Write(chunk)
					if err := res.Flush(); err != nil {
						t.Errorf("Flush %d: %v", i, err)
						return
					}
				}
			})
			_, addr := suite.Start(t, suite.Target{Backend: backend}, server.Config{Workers: 2}, h)
			res, err := http.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			buf := make([]byte, size)
			for i := range parts {
				time.Sleep(time.Millisecond) // a slow reader
				if _, err := io.ReadFull(res.Body, buf); err != nil {
					t.Fatalf("part %d: %v", i, err)
				}
				if buf[0] != byte('a'+i%26) || buf[size-1] != byte('a'+i%26) {
					t.Fatalf("part %d out of order: %q", i, buf[0])
				}
			}
		})
	}
}

// TestStreamingResponseWriteTimeout checks a streaming handler whose client
// reads nothing gets ErrClientTimeout instead of waiting forever.
func TestStreamingResponseWriteTimeout(t *testing.T) {
	errs := make(chan error, 1)
	h := server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
		chunk := make([]byte, 256<<10)
		for range 256 { // 64 MiB: far more than the socket buffers
			res.Write(chunk)
			if err := res.Flush(); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	})
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2, WriteTimeout: 300 * time.Millisecond}, h)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-errs:
		if err == nil || !strings.Contains(err.Error(), server.ErrClientTimeout.Error()) {
			t.Fatalf("Flush error %v, want ErrClientTimeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never gave up on a client that reads nothing")
	}
}

// uploadHandler hashes the streamed body and answers with its size and
// SHA-256; started reports when the handler began.
func uploadHandler(started chan<- struct{}) server.Handler {
	return server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
		if started != nil {
			started <- struct{}{}
		}
		h := sha256.New()
		n, err := io.Copy(h, req.BodyReader())
		if err != nil {
			status := 400
			if pe := (*protocol.Error)(nil); errors.As(err, &pe) {
				status = pe.Status // 413 for a body over the limit
			}
			res.Status(status).BodyString(err.Error())
			return
		}
		fmt.Fprintf(res, "%d %s", n, hex.EncodeToString(h.Sum(nil)))
	})
}

// TestStreamBodies uploads bodies larger than the body limit would allow
// to buffer... within the limit but far past any buffer, with Content-Length
// and chunked framing, and checks the handler runs before the upload ends
// and sees every byte, then the connection serves a pipelined request.
func TestStreamBodies(t *testing.T) {
	for _, backend := range poller.Available() {
		t.Run(backend, func(t *testing.T) {
			started := make(chan struct{}, 1)
			cfg := server.Config{Workers: 2, StreamBodies: true, Limits: protocol.Limits{MaxBodySize: 64 << 20}}
			if backend == "netpoll" {
				// netpoll reads eagerly and cannot hold a fast uploader
				// back: what the handler has not taken yet must fit in
				// MaxPendingInput (see the netpoll package doc).
				cfg.BackendOptions = netpoll.Config{MaxPendingInput: 16 << 20}
			}
			_, addr := suite.Start(t, suite.Target{Backend: backend}, cfg, uploadHandler(started))
			body := make([]byte, 8<<20)
			rnd := rand.New(rand.NewPCG(1, 2))
			for i := range body {
				body[i] = byte(rnd.Uint32())
			}
			sum := sha256.Sum256(body)
			want := fmt.Sprintf("%d %s", len(body), hex.EncodeToString(sum[:]))
			for _, chunked := range []bool{false, true} {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(20 * time.Second))
				w := bufio.NewWriter(c)
				if chunked {
					fmt.Fprintf(w, "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
				} else {
					fmt.Fprintf(w, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body))
				}
				w.Flush()
				select {
				case <-started: // the handler runs before the body was sent
				case <-time.After(5 * time.Second):
					t.Fatal("handler did not start at the end of the header section")
				}
				for off := 0; off < len(body); {
					n := min(1+rnd.IntN(100<<10), len(body)-off)
					if chunked {
						fmt.Fprintf(w, "%x\r\n", n)
						w.Write(body[off : off+n])
						w.WriteString("\r\n")
					} else {
						w.Write(body[off : off+n])
					}
					off += n
				}
				if chunked {
					w.WriteString("0\r\nX-Trailer: t\r\n\r\n")
				}
				w.WriteString("GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
				w.Flush()
				r := bufio.NewReader(c)
				for i, wantBody := range []string{want, "0 " + hex.EncodeToString(sha256.New().Sum(nil))} {
					res, err := http.ReadResponse(r, nil)
					if err != nil {
						t.Fatalf("chunked=%v response %d: %v", chunked, i, err)
					}
					got, _ := io.ReadAll(res.Body)
					if string(got) != wantBody {
						t.Fatalf("chunked=%v response %d: %q, want %q", chunked, i, got, wantBody)
					}
					if i == 1 {
						<-started
					}
				}
				c.Close()
			}
		})
	}
}

// TestStreamBodiesExpectContinue checks 100 Continue goes out when the
// handler first reads the body, not before.
func TestStreamBodiesExpectContinue(t *testing.T) {
	cfg := server.Config{Workers: 2, StreamBodies: true}
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, cfg, uploadHandler(nil))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("interim response: %q %v", line, err)
	}
	r.ReadString('\n')
	io.WriteString(c, "hello")
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	if want := "5 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestStreamBodiesLimits checks a streamed body past MaxBodySize fails the
// read with 413's error, a malformed one with 400's, and the connection
// closes after the response in both cases.
func TestStreamBodiesLimits(t *testing.T) {
	cfg := server.Config{Workers: 2, StreamBodies: true, Limits: protocol.Limits{MaxBodySize: 1000}}
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, cfg, uploadHandler(nil))
	for _, tc := range []struct{ name, req, want string }{
		{"too large", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + strings.Repeat("a", 1024) + "\r\n0\r\n\r\n", "413"},
		{"bad chunk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n\r\n", "400"},
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, tc.req)
		raw, _ := io.ReadAll(c)
		c.Close()
		if !strings.HasPrefix(string(raw), "HTTP/1.1 "+tc.want+" ") || !strings.Contains(string(raw), "Connection: close") {
			t.Errorf("%s: %q", tc.name, raw)
		}
	}
}

// TestStreamBodiesNeedWorkers checks the one invalid combination.
func TestStreamBodiesNeedWorkers(t *testing.T) {
	if _, err := server.New(server.Config{StreamBodies: true, Inline: true}, server.HandlerFunc(hello)); err == nil {
		t.Fatal("New accepted StreamBodies with Inline")
	}
}

func available(backend string) bool {
	for _, b := range poller.Available() {
		if b == backend {
			return true
		}
	}
	return false
}

// TestStreamBodiesUnreadCloseAnnounced: a handler that returns without
// reading its streamed body gets its connection closed after the response
// (what follows on the wire is not a request), and the response says
// "Connection: close", on the native API and through HTTPHandler.
func TestStreamBodiesUnreadCloseAnnounced(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    server.Handler
	}{
		{"native", server.HandlerFunc(func(_ *protocol.Request, res *protocol.Response) { res.BodyString("ok") })},
		{"HTTPHandler", server.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "ok")
		}))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2, StreamBodies: true}, tc.h)
			c := suite.Dial(t, addr)
			r := bufio.NewReader(c)
			io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
			res, err := suite.ReadResponse(r, false)
			if err != nil || res.Status != 200 || string(res.Body) != "ok" {
				t.Fatalf("%v %+v, want 200 ok", err, res)
			}
			if !res.Close {
				t.Fatalf("the response does not say Connection: close (header %v)", res.Header)
			}
			io.WriteString(c, "0123456789")
			suite.ExpectClosed(t, c, r)
		})
	}
}

// TestParkedWorkerWithFullQueue: the only worker waits for the rest of an
// upload while other clients fill the worker queue and more. The event
// loop must go on reporting the upload's bytes (it once blocked handing
// work to the full queue while the worker waited for it), and every client
// gets its answer, on every backend.
func TestParkedWorkerWithFullQueue(t *testing.T) {
	for _, backend := range poller.Available() {
		t.Run(backend, func(t *testing.T) {
			h := server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
				if req.Path() == "/upload" {
					b, err := io.ReadAll(req.BodyReader())
					res.BodyString(fmt.Sprintf("got %d %v", len(b), err))
					return
				}
				res.BodyString("hi")
			})
			cfg := server.Config{Workers: 1, QueueSize: 1, StreamBodies: true, ReadBodyTimeout: 5 * time.Second}
			_, addr := suite.Start(t, suite.Target{Backend: backend}, cfg, h)
			up := suite.Dial(t, addr)
			io.WriteString(up, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01")
			time.Sleep(100 * time.Millisecond) // the worker parks for the rest of the body
			var others []net.Conn
			for range 4 { // one fills the queue, the rest wait behind it
				c := suite.Dial(t, addr)
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				others = append(others, c)
				time.Sleep(20 * time.Millisecond)
			}
			io.WriteString(up, "23456789")
			up.SetReadDeadline(time.Now().Add(3 * time.Second))
			res, err := suite.ReadResponse(bufio.NewReader(up), false)
			if err != nil || string(res.Body) != "got 10 <nil>" {
				t.Fatalf("upload: %v %+v, want got 10", err, res)
			}
			for i, c := range others {
				c.SetReadDeadline(time.Now().Add(3 * time.Second))
				if res, err := suite.ReadResponse(bufio.NewReader(c), false); err != nil || string(res.Body) != "hi" {
					t.Fatalf("client %d: %v %+v", i, err, res)
				}
			}
		})
	}
}

// TestStreamBodiesPartialReadIsDropped: whatever a handler leaves unread of
// a streamed body is dropped, never parsed as a request (here the body is a
// request itself): with the whole body already received, the connection
// goes on with the real next request; on the native API and through
// HTTPHandler, Content-Length and chunked, none or part of it read.
func TestStreamBodiesPartialReadIsDropped(t *testing.T) {
	const inner = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"
	bodies := map[string]string{
		"content-length": fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(inner), inner),
		"chunked":        fmt.Sprintf("Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(inner), inner),
	}
	// The handlers read ?n= bytes of the body and answer with the path.
	readN := func(body io.Reader, query string) {
		n, _ := strconv.Atoi(strings.TrimPrefix(query, "n="))
		io.ReadFull(body, make([]byte, n))
	}
	handlers := map[string]server.Handler{
		"native": server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
			readN(req.BodyReader(), req.Query())
			res.BodyString(req.Path())
		}),
		"HTTPHandler": server.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			readN(r.Body, r.URL.RawQuery)
			io.WriteString(w, r.URL.Path)
		})),
	}
	for hname, h := range handlers {
		_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2, StreamBodies: true}, h)
		for bname, body := range bodies {
			for _, n := range []int{0, 2} {
				t.Run(fmt.Sprintf("%s/%s/read%d", hname, bname, n), func(t *testing.T) {
					c := suite.Dial(t, addr)
					r := bufio.NewReader(c)
					fmt.Fprintf(c, "POST /upload?n=%d HTTP/1.1\r\nHost: h\r\n%sGET /after HTTP/1.1\r\nHost: h\r\n\r\n", n, body)
					for _, want := range []string{"/upload", "/after"} {
						res, err := suite.ReadResponse(r, false)
						if err != nil || string(res.Body) != want {
							t.Fatalf("got %v %+v, want %s (an unread body must not become a request)", err, res, want)
						}
						if res.Close {
							t.Fatalf("%s: the connection closes, though the whole body was received", want)
						}
					}
				})
			}
		}
	}
}

// TestStreamBodiesNoContinueInsideResponse: a native handler that flushed
// part of its response before reading an Expect: 100-continue body gets no
// 100 Continue written into its response.
func TestStreamBodiesNoContinueInsideResponse(t *testing.T) {
	h := server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
		res.Write([]byte("resp "))
		if err := res.Flush(); err != nil {
			return
		}
		b, _ := io.ReadAll(req.BodyReader())
		res.Write(b)
	})
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2, StreamBodies: true}, h)
	c := suite.Dial(t, addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(c)
	if strings.Contains(string(got), "100 Continue") || !strings.Contains(string(got), "resp ") || !strings.Contains(string(got), "abc") {
		t.Fatalf("response %q: want the body read back and no 100 Continue inside it", got)
	}
}

// TestStreamedBodyFailureStillAnswers: when a streamed body stops short,
// because the client sent nothing for ReadBodyTimeout or closed its side
// mid-body, only the body fails: the handler's answer (408, 400) still
// reaches the client, then the connection closes, for native and
// HTTPHandler handlers on every backend (netpoll has no half-close).
func TestStreamedBodyFailureStillAnswers(t *testing.T) {
	native := server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
		_, err := io.ReadAll(req.BodyReader())
		status := 400
		if errors.Is(err, server.ErrClientTimeout) {
			status = 408
		}
		res.Status(status).BodyString("body: " + err.Error())
	})
	adapted := server.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		status := 400
		if errors.Is(err, server.ErrClientTimeout) {
			status = 408
		}
		http.Error(w, "body: "+err.Error(), status)
	}))
	for _, backend := range poller.Available() {
		for name, h := range map[string]server.Handler{"native": native, "HTTPHandler": adapted} {
			for _, halfClose := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/halfClose=%v", backend, name, halfClose), func(t *testing.T) {
					if halfClose && backend == netpoll.Name {
						t.Skip("netpoll has no half-close: a client that shuts down its sending side is not answered (README)")
					}
					cfg := server.Config{Workers: 2, StreamBodies: true, ReadBodyTimeout: 300 * time.Millisecond}
					_, addr := suite.Start(t, suite.Target{Backend: backend}, cfg, h)
					c := suite.Dial(t, addr)
					io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01")
					want := 408
					if halfClose {
						time.Sleep(50 * time.Millisecond)
						if err := c.(*net.TCPConn).CloseWrite(); err != nil {
							t.Fatal(err)
						}
						want = 400
					}
					r := bufio.NewReader(c)
					res, err := suite.ReadResponse(r, false)
					if err != nil || res.Status != want || !res.Close {
						t.Fatalf("response %+v, %v; want %d, closing", res, err, want)
					}
					suite.ExpectClosed(t, c, r)
				})
			}
		}
	}
}

// TestHTTPHandlerExpectBodyReadInFullKeepsConnection: an HTTPHandler that
// reads exactly Content-Length bytes of a streamed "Expect: 100-continue"
// body (io.ReadFull, which never asks for the EOF) has read all of it: the
// connection stays open, as net/http keeps it.
func TestHTTPHandlerExpectBodyReadInFullKeepsConnection(t *testing.T) {
	h := server.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, r.ContentLength)
		_, err := io.ReadFull(r.Body, buf)
		fmt.Fprintf(w, "%s %v", buf, err)
	}))
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2, StreamBodies: true}, h)
	c := suite.Dial(t, addr)
	r := bufio.NewReader(c)
	for i := range 2 {
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		if res, err := suite.ReadResponse(r, false); err != nil || res.Status != http.StatusContinue {
			t.Fatalf("request %d: interim %+v, %v; want 100", i+1, res, err)
		}
		io.WriteString(c, "hello")
		res, err := suite.ReadResponse(r, false)
		if err != nil || string(res.Body) != "hello <nil>" || res.Close {
			t.Fatalf("request %d: %+v, %v; want hello <nil>, keeping the connection", i+1, res, err)
		}
	}
}

// TestStreamedBodyWaitSendsEarlierResponses: the answers to the requests
// pipelined before a streamed body go out before the server waits for that
// body. A client may wait for them before sending it (net/http answers each
// request before reading the next); held back, they would come only after
// ReadBodyTimeout.
func TestStreamedBodyWaitSendsEarlierResponses(t *testing.T) {
	native := server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
		b, err := io.ReadAll(req.BodyReader())
		fmt.Fprintf(res, "%s %s %v", req.Path(), b, err)
	})
	adapted := server.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %v", r.URL.Path, b, err)
	}))
	for _, backend := range poller.Available() {
		for name, h := range map[string]server.Handler{"native": native, "HTTPHandler": adapted} {
			t.Run(backend+"/"+name, func(t *testing.T) {
				cfg := server.Config{Workers: 2, StreamBodies: true, ReadBodyTimeout: 10 * time.Second}
				_, addr := suite.Start(t, suite.Target{Backend: backend}, cfg, h)
				c := suite.Dial(t, addr)
				io.WriteString(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"+
					"POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
				r := bufio.NewReader(c)
				c.SetReadDeadline(time.Now().Add(3 * time.Second))
				for _, want := range []string{"/a  <nil>", "/b  <nil>"} {
					res, err := suite.ReadResponse(r, false)
					if err != nil || string(res.Body) != want {
						t.Fatalf("before the body was sent: %+v, %v; want %q", res, err, want)
					}
				}
				io.WriteString(c, "hello")
				res, err := suite.ReadResponse(r, false)
				if err != nil || string(res.Body) != "/c hello <nil>" || res.Close {
					t.Fatalf("after the body: %+v, %v; want /c hello <nil>, keeping the connection", res, err)
				}
			})
		}
	}
}
