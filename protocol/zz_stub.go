package protocol

import "io"

func (p *Parser) StreamBodies(on bool)                                {}
func (p *Parser) InBody() bool                                        { return false }
func (p *Parser) ReadBody(wire []byte) ([]byte, int, error)           { return nil, 0, io.EOF }
func (r *Request) BodyStreamed() bool                                 { return false }
