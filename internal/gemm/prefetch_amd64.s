//go:build amd64 && !purego

#include "textflag.h"

// func prefetchL2(p *float32, lines int)
TEXT ·prefetchL2(SB), NOSPLIT, $0-16
	MOVQ  p+0(FP), SI
	MOVQ  lines+8(FP), CX
	TESTQ CX, CX
	JZ    pfdone

pfloop:
	PREFETCHT1 (SI)
	ADDQ       $64, SI
	DECQ       CX
	JNZ        pfloop

pfdone:
	RET
