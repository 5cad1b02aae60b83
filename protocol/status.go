package protocol

// statusTexts lists the reason phrases of the codes registered in the IANA
// HTTP Status Code Registry (RFC 9110 §15 names).
var statusTexts = map[int]string{
	100: "Continue",
	101: "Switching Protocols",
	102: "Processing",
	103: "Early Hints",

	200: "OK",
	201: "Created",
	202: "Accepted",
	203: "Non-Authoritative Information",
	204: "No Content",
	205: "Reset Content",
	206: "Partial Content",
	207: "Multi-Status",
	208: "Already Reported",
	226: "IM Used",

	300: "Multiple Choices",
	301: "Moved Permanently",
	302: "Found",
	303: "See Other",
	304: "Not Modified",
	305: "Use Proxy",
	307: "Temporary Redirect",
	308: "Permanent Redirect",

	400: "Bad Request",
	401: "Unauthorized",
	402: "Payment Required",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	406: "Not Acceptable",
	407: "Proxy Authentication Required",
	408: "Request Timeout",
	409: "Conflict",
	410: "Gone",
	411: "Length Required",
	412: "Precondition Failed",
	413: "Content Too Large",
	414: "URI Too Long",
	415: "Unsupported Media Type",
	416: "Range Not Satisfiable",
	417: "Expectation Failed",
	418: "I'm a teapot",
	421: "Misdirected Request",
	422: "Unprocessable Content",
	423: "Locked",
	424: "Failed Dependency",
	425: "Too Early",
	426: "Upgrade Required",
	428: "Precondition Required",
	429: "Too Many Requests",
	431: "Request Header Fields Too Large",
	451: "Unavailable For Legal Reasons",

	500: "Internal Server Error",
	501: "Not Implemented",
	502: "Bad Gateway",
	503: "Service Unavailable",
	504: "Gateway Timeout",
	505: "HTTP Version Not Supported",
	506: "Variant Also Negotiates",
	507: "Insufficient Storage",
	508: "Loop Detected",
	510: "Not Extended",
	511: "Network Authentication Required",
}

// Precomputed "HTTP/1.1 <code> <reason>\r\n" and reason phrases for every
// code 100-999, indexed by code-100, so Build never formats a status line.
// Unregistered codes get the generic reason of their class.
var (
	statusLines   [900]string
	statusReasons [900]string
)

func init() {
	for code := 100; code <= 999; code++ {
		reason, ok := statusTexts[code]
		if !ok {
			reason = genericReason(code)
		}
		statusReasons[code-100] = reason
		statusLines[code-100] = "HTTP/1.1 " + string([]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)}) + " " + reason + "\r\n"
	}
}

func genericReason(code int) string {
	switch code / 100 {
	case 1:
		return "Informational"
	case 2:
		return "Success"
	case 3:
		return "Redirection"
	case 4:
		return "Client Error"
	case 5:
		return "Server Error"
	}
	return "Unknown Status"
}

// StatusText returns the registered reason phrase of code (e.g. "Not Found"
// for 404), or "" if code is not registered. Status lines for unregistered
// codes in 100-999 use a generic reason per class, see StatusReason.
func StatusText(code int) string { return statusTexts[code] }

// StatusReason returns the reason phrase used in the status line for code:
// the registered phrase, or for unregistered codes in 100-999 a generic one
// such as "Client Error". It returns "" outside 100-999.
func StatusReason(code int) string {
	if code < 100 || code > 999 {
		return ""
	}
	return statusReasons[code-100]
}

// appendStatusLine appends "HTTP/1.1 <code> <reason>\r\n"; code must be in
// 100-999.
func appendStatusLine(dst []byte, code int) []byte {
	return append(dst, statusLines[code-100]...)
}
