//go:build !linux

package cpupin

import "os/exec"

// Allowed returns ErrUnsupported outside Linux.
func Allowed() ([]int, error) { return nil, ErrUnsupported }

// PinSelf returns ErrUnsupported outside Linux.
func (p Plan) PinSelf() error { return ErrUnsupported }

// StartServer returns ErrUnsupported outside Linux.
func (p Plan) StartServer(*exec.Cmd) error { return ErrUnsupported }

// Of returns ErrUnsupported outside Linux.
func Of(int) ([]int, error) { return nil, ErrUnsupported }
