//go:build amd64 && !purego

#include "textflag.h"

// Each constant is a 32-byte vector of eight equal float32 values.
#define VEC(name, bits) \
	DATA name<>+0(SB)/4, $bits \
	DATA name<>+4(SB)/4, $bits \
	DATA name<>+8(SB)/4, $bits \
	DATA name<>+12(SB)/4, $bits \
	DATA name<>+16(SB)/4, $bits \
	DATA name<>+20(SB)/4, $bits \
	DATA name<>+24(SB)/4, $bits \
	DATA name<>+28(SB)/4, $bits \
	GLOBL name<>(SB), RODATA|NOPTR, $32

VEC(invsqrt2, 0x3f3504f3) // 1/√2
VEC(four, 0x40800000)     // 4
VEC(mfour, 0xc0800000)    // -4
VEC(half, 0x3f000000)     // 0.5
VEC(one, 0x3f800000)      // 1
VEC(a13, 0xaf95df0b)      // -2.72614225801306e-10
VEC(a11, 0x32edffee)      // 2.77068142495902e-08
VEC(a9, 0xb60cff51)       // -2.10102402082508e-06
VEC(a7, 0xb86ec2d2)       // -5.69250639462346e-05
VEC(a5, 0xba40ac63)       // -7.34990630326855e-04
VEC(a3, 0xbb41a1f6)       // -2.95459980854025e-03
VEC(a1, 0xbc83dbd4)       // -1.60960333262415e-02
VEC(b8, 0xb77460cd)       // -1.45660718464996e-05
VEC(b6, 0xb95fbd29)       // -2.13374055278905e-04
VEC(b4, 0xbadc924e)       // -1.68282697438203e-03
VEC(b2, 0xbbf19bf8)       // -7.37332916720468e-03
VEC(b0, 0xbc69b6a7)       // -1.42647390514189e-02

// GELU_Y0_TO_Y3 computes GELU of Y0 into Y3 (clobbers Y0–Y4).
#define GELU_Y0_TO_Y3 \
	VMULPS  invsqrt2<>(SB), Y0, Y1; \
	VMINPS  four<>(SB), Y1, Y1; \
	VMAXPS  mfour<>(SB), Y1, Y1; \
	VMULPS  Y1, Y1, Y2; \
	VMOVUPS     a13<>(SB), Y3; \
	VFMADD213PS a11<>(SB), Y2, Y3; \
	VFMADD213PS a9<>(SB), Y2, Y3; \
	VFMADD213PS a7<>(SB), Y2, Y3; \
	VFMADD213PS a5<>(SB), Y2, Y3; \
	VFMADD213PS a3<>(SB), Y2, Y3; \
	VFMADD213PS a1<>(SB), Y2, Y3; \
	VMULPS      Y1, Y3, Y3; \
	VMOVUPS     b8<>(SB), Y4; \
	VFMADD213PS b6<>(SB), Y2, Y4; \
	VFMADD213PS b4<>(SB), Y2, Y4; \
	VFMADD213PS b2<>(SB), Y2, Y4; \
	VFMADD213PS b0<>(SB), Y2, Y4; \
	VDIVPS Y4, Y3, Y3; \
	VADDPS one<>(SB), Y3, Y3; \
	VMULPS half<>(SB), Y0, Y0; \
	VMULPS Y0, Y3, Y3

// func geluAVX2(dst, x []float32)
TEXT ·geluAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	SHRQ $3, CX
	JZ   gdone

gloop:
	VMOVUPS (SI), Y0
	GELU_Y0_TO_Y3
	VMOVUPS Y3, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     gloop
	VZEROUPPER

gdone:
	RET

// func biasGELUAVX2(dst, bias []float32)
TEXT ·biasGELUAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ bias_base+24(FP), SI
	SHRQ $3, CX
	JZ   bgdone

bgloop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	GELU_Y0_TO_Y3
	VMOVUPS Y3, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     bgloop
	VZEROUPPER

bgdone:
	RET

// func reluAVX2(dst, x []float32)
TEXT ·reluAVX2(SB), NOSPLIT, $0-48
	MOVQ   dst_base+0(FP), DI
	MOVQ   dst_len+8(FP), CX
	MOVQ   x_base+24(FP), SI
	SHRQ   $3, CX
	JZ     rdone
	VXORPS Y7, Y7, Y7

rloop:
	VMOVUPS (SI), Y0
	VMAXPS  Y0, Y7, Y0 // max(0, x): a NaN x stays NaN
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rloop
	VZEROUPPER

rdone:
	RET

// func biasReLUAVX2(dst, bias []float32)
TEXT ·biasReLUAVX2(SB), NOSPLIT, $0-48
	MOVQ   dst_base+0(FP), DI
	MOVQ   dst_len+8(FP), CX
	MOVQ   bias_base+24(FP), SI
	SHRQ   $3, CX
	JZ     brdone
	VXORPS Y7, Y7, Y7

brloop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMAXPS  Y0, Y7, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     brloop
	VZEROUPPER

brdone:
	RET

// func gemm4x16AVX2(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int)
//
// For rows r = 0..3: c[r][0:16] = s + Σ_p a[r·lda+p]·b[p·16 : p·16+16],
// with b one packed panel (k rows of 16 floats), s = c[r][0:16] if acc ≠ 0
// and 0 otherwise, the sum one fused multiply-add per p in order. k ≥ 1.
TEXT ·gemm4x16AVX2(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R8
	SHLQ $2, R8
	LEAQ (SI)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	MOVQ b+16(FP), DI
	MOVQ k+24(FP), CX
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R12
	SHLQ $2, R12
	MOVQ acc+48(FP), BX
	TESTQ BX, BX
	JZ   g4zero
	MOVQ DX, R13
	VMOVUPS (R13), Y0
	VMOVUPS 32(R13), Y1
	ADDQ R12, R13
	VMOVUPS (R13), Y2
	VMOVUPS 32(R13), Y3
	ADDQ R12, R13
	VMOVUPS (R13), Y4
	VMOVUPS 32(R13), Y5
	ADDQ R12, R13
	VMOVUPS (R13), Y6
	VMOVUPS 32(R13), Y7
	JMP  g4start

g4zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

g4start:
	XORQ AX, AX

g4loop:
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VBROADCASTSS (SI)(AX*1), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (R9)(AX*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (R10)(AX*1), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (R11)(AX*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         $64, DI
	ADDQ         $4, AX
	DECQ         CX
	JNZ          g4loop

	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// func gemm1x16AVX2(a *float32, b *float32, k int, c *float32, acc int)
//
// One row of gemm4x16AVX2: the same fused multiply-adds in the same
// order, so a row's result does not depend on the block it falls in.
TEXT ·gemm1x16AVX2(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ k+16(FP), CX
	MOVQ c+24(FP), DX
	MOVQ acc+32(FP), BX
	TESTQ BX, BX
	JZ   g1zero
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	JMP  g1loop

g1zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

g1loop:
	VBROADCASTSS (SI), Y10
	VFMADD231PS  (DI), Y10, Y0
	VFMADD231PS  32(DI), Y10, Y1
	ADDQ         $64, DI
	ADDQ         $4, SI
	DECQ         CX
	JNZ          g1loop

	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VZEROUPPER
	RET

// func gemm6x16AVX2(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int)
//
// gemm4x16AVX2 for six rows: twelve accumulators keep both FMA units busy
// and each panel load serves six rows.
TEXT ·gemm6x16AVX2(SB), NOSPLIT, $0-56
	MOVQ  a+0(FP), SI
	MOVQ  lda+8(FP), R8
	SHLQ  $2, R8
	LEAQ  (SI)(R8*1), R9
	LEAQ  (R9)(R8*1), R10
	LEAQ  (R10)(R8*1), R11
	LEAQ  (R11)(R8*1), R13
	MOVQ  b+16(FP), DI
	MOVQ  k+24(FP), CX
	MOVQ  c+32(FP), DX
	MOVQ  ldc+40(FP), R12
	SHLQ  $2, R12
	MOVQ  acc+48(FP), BX
	TESTQ BX, BX
	JZ    g6zero
	MOVQ  DX, BX
	VMOVUPS (BX), Y0
	VMOVUPS 32(BX), Y1
	ADDQ  R12, BX
	VMOVUPS (BX), Y2
	VMOVUPS 32(BX), Y3
	ADDQ  R12, BX
	VMOVUPS (BX), Y4
	VMOVUPS 32(BX), Y5
	ADDQ  R12, BX
	VMOVUPS (BX), Y6
	VMOVUPS 32(BX), Y7
	ADDQ  R12, BX
	VMOVUPS (BX), Y8
	VMOVUPS 32(BX), Y9
	ADDQ  R12, BX
	VMOVUPS (BX), Y10
	VMOVUPS 32(BX), Y11
	JMP   g6start

g6zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

g6start:
	LEAQ (R13)(R8*1), BX
	XORQ AX, AX

g6loop:
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VBROADCASTSS (SI)(AX*1), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (R9)(AX*1), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (R10)(AX*1), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (R11)(AX*1), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS (R13)(AX*1), Y14
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VBROADCASTSS (BX)(AX*1), Y15
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         $64, DI
	ADDQ         $4, AX
	DECQ         CX
	JNZ          g6loop

	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y8, (DX)
	VMOVUPS Y9, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y10, (DX)
	VMOVUPS Y11, 32(DX)
	VZEROUPPER
	RET
