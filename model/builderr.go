package model

import "fmt"

// BuildError is a misuse of a Builder found while rendering the
// architecture: a parameter the architecture lacks, an operand of the wrong
// shape, an unknown activation or variant. It is a programming error in the
// architecture, its parameters or a backend, never bad data (every entry
// point checks its inputs against the contract before it renders).
type BuildError struct {
	Err error
}

func (e *BuildError) Error() string { return e.Err.Error() }

func (e *BuildError) Unwrap() error { return e.Err }

// Failf is how a Builder method reports a misuse: it panics with a
// *BuildError of the formatted message (%w wraps, as in fmt.Errorf). A
// method never returns or records an error of its own, so it need not
// return a usable handle after a misuse.
func Failf(format string, args ...any) {
	panic(&BuildError{Err: fmt.Errorf(format, args...)})
}

// RecoverBuild, deferred by an entry point that renders the architecture
// on a Builder (defer model.RecoverBuild(&err)), turns a panic while
// rendering into the entry point's error: a *BuildError as it is, any other
// panic (a backend's own runtime error on a misuse it does not check) as a
// *BuildError wrapping it. So a misuse reaches the caller as an error and
// never crashes it.
func RecoverBuild(err *error) {
	r := recover()
	if r == nil {
		return
	}
	be, ok := r.(*BuildError)
	if !ok {
		e, isErr := r.(error)
		if !isErr {
			e = fmt.Errorf("%v", r)
		}
		be = &BuildError{Err: e}
	}
	*err = be
}
