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

// exp: Cephes expf (x = k·ln2 + r, ln2 in two parts, a degree-7 polynomial).
VEC(explo, 0xc2ae999a)    // -87.3: below, exp is 0
VEC(exphi, 0x42b0999a)    // 88.3: above, saturated
VEC(log2e, 0x3fb8aa3b)    // log2(e)
VEC(expc1, 0x3f318000)    // 0.693359375
VEC(expc2, 0xb95e8083)    // -2.12194440e-4
VEC(expp0, 0x39506967)    // 1.9875691500e-4
VEC(expp1, 0x3ab743ce)    // 1.3981999507e-3
VEC(expp2, 0x3c088908)    // 8.3334519073e-3
VEC(expp3, 0x3d2aa9c1)    // 4.1665795894e-2
VEC(expp4, 0x3e2aaaaa)    // 1.6666665459e-1
VEC(expp5, 0x3f000000)    // 5.0000001201e-1
VEC(bias127, 0x0000007f)  // the exponent bias, an integer

VEC(mhalf, 0xbf000000)      // -0.5
VEC(eight, 0x41000000)      // 8: above, GELU(x) = x and GELU′(x) = 1 in float32
VEC(meight, 0xc1000000)     // -8: below, both are 0
VEC(invsqrt2pi, 0x3ecc422a) // 1/√(2π)

// PHI_Y0_TO_Y3 computes Φ(Y0) = (1 + erf(Y0/√2))·0.5 into Y3 (clobbers Y1,
// Y2, Y4; keeps Y0), erf the float32 rational approximation.
#define PHI_Y0_TO_Y3 \
	VMULPS      invsqrt2<>(SB), Y0, Y1; \
	VMINPS      four<>(SB), Y1, Y1; \
	VMAXPS      mfour<>(SB), Y1, Y1; \
	VMULPS      Y1, Y1, Y2; \
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
	VDIVPS      Y4, Y3, Y3; \
	VADDPS      one<>(SB), Y3, Y3; \
	VMULPS      half<>(SB), Y3, Y3

// GELU_Y0_TO_Y3 computes GELU(Y0) = Y0·Φ(Y0) into Y3 (clobbers Y1, Y2, Y4;
// keeps Y0): exactly 0 below −8 and Y0 above 8, where the clamped erf
// leaves Φ 1e-8 off (and ±Inf would give NaN).
#define GELU_Y0_TO_Y3 \
	PHI_Y0_TO_Y3; \
	VMULPS    Y3, Y0, Y3; \
	VCMPPS    $1, meight<>(SB), Y0, Y4; \
	VANDNPS   Y3, Y4, Y3; \
	VCMPPS    $14, eight<>(SB), Y0, Y4; \
	VBLENDVPS Y4, Y0, Y3, Y3

// EXPPS computes exp(X) into R (Cephes expf; 0 below −87.3, saturated above
// 88.3; NaN not handled), with temporaries A, B, C; X is kept.
#define EXPPS(X, R, A, B, C) \
	VMAXPS       explo<>(SB), X, A; \
	VMINPS       exphi<>(SB), A, A; \
	VMULPS       log2e<>(SB), A, B; \
	VROUNDPS     $0, B, B; \
	VFNMADD231PS expc1<>(SB), B, A; \
	VFNMADD231PS expc2<>(SB), B, A; \
	VMOVUPS      expp0<>(SB), R; \
	VFMADD213PS  expp1<>(SB), A, R; \
	VFMADD213PS  expp2<>(SB), A, R; \
	VFMADD213PS  expp3<>(SB), A, R; \
	VFMADD213PS  expp4<>(SB), A, R; \
	VFMADD213PS  expp5<>(SB), A, R; \
	VMULPS       A, A, C; \
	VFMADD213PS  A, C, R; \
	VADDPS       one<>(SB), R, R; \
	VCVTPS2DQ    B, C; \
	VPADDD       bias127<>(SB), C, C; \
	VPSLLD       $23, C, C; \
	VMULPS       C, R, R; \
	VCMPPS       $1, explo<>(SB), X, C; \
	VANDNPS      R, C, R

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

// func expAVX2(dst, x []float32)
TEXT ·expAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	SHRQ $3, CX
	JZ   exdone

exloop:
	VMOVUPS   (SI), Y0
	EXPPS(Y0, Y4, Y1, Y2, Y3)
	VCMPPS    $3, Y0, Y0, Y7
	VBLENDVPS Y7, Y0, Y4, Y4
	VMOVUPS      Y4, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JNZ          exloop
	VZEROUPPER

exdone:
	RET

// func geluBothAVX2(y, d, x, m []float32)
//
// y = GELU(x)·m and d = GELU′(x)·m = (Φ(x) + x·φ(x))·m, m all ones when
// its length is 0: PHI_Y0_TO_Y3 and EXPPS, φ(x) = exp(−x²/2)/√(2π).
TEXT ·geluBothAVX2(SB), NOSPLIT, $0-96
	MOVQ y_base+0(FP), DI
	MOVQ d_base+24(FP), DX
	MOVQ x_base+48(FP), SI
	MOVQ x_len+56(FP), CX
	MOVQ m_base+72(FP), R8
	MOVQ m_len+80(FP), R9
	SHRQ $3, CX
	JZ   gbdone

gbloop:
	VMOVUPS (SI), Y0
	PHI_Y0_TO_Y3
	// y = x·Φ(x) into Y5.
	VMULPS Y3, Y0, Y5
	// φ(x)·√(2π) = exp(−x²/2) into Y10.
	VMULPS Y0, Y0, Y6
	VMULPS mhalf<>(SB), Y6, Y6
	EXPPS(Y6, Y10, Y7, Y8, Y9)
	// d = Φ(x) + x·φ(x) into Y3.
	VMULPS      invsqrt2pi<>(SB), Y10, Y10
	VFMADD231PS Y10, Y0, Y3
	// Outside ±8: exactly y = 0, d = 0 below and y = x, d = 1 above.
	VCMPPS    $1, meight<>(SB), Y0, Y13
	VANDNPS   Y5, Y13, Y5
	VANDNPS   Y3, Y13, Y3
	VCMPPS    $14, eight<>(SB), Y0, Y13
	VMOVUPS   one<>(SB), Y12
	VBLENDVPS Y13, Y0, Y5, Y5
	VBLENDVPS Y13, Y12, Y3, Y3
	TESTQ       R9, R9
	JZ          gbstore
	VMOVUPS     (R8), Y14
	VMULPS      Y14, Y5, Y5
	VMULPS      Y14, Y3, Y3
	ADDQ        $32, R8

gbstore:
	VMOVUPS Y5, (DI)
	VMOVUPS Y3, (DX)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     gbloop
	VZEROUPPER

gbdone:
	RET

// func reluDropAVX2(y, d, z, m []float32)
//
// y = z·m and d = m where z > 0, both 0 elsewhere (NaN included).
TEXT ·reluDropAVX2(SB), NOSPLIT, $0-96
	MOVQ   y_base+0(FP), DI
	MOVQ   d_base+24(FP), DX
	MOVQ   z_base+48(FP), SI
	MOVQ   z_len+56(FP), CX
	MOVQ   m_base+72(FP), R8
	SHRQ   $3, CX
	JZ     rddone
	VXORPS Y7, Y7, Y7

rdloop:
	VMOVUPS (SI), Y0
	VMOVUPS (R8), Y1
	VCMPPS  $14, Y7, Y0, Y2
	VANDPS  Y1, Y2, Y3
	VMULPS  Y1, Y0, Y4
	VANDPS  Y4, Y2, Y4
	VMOVUPS Y4, (DI)
	VMOVUPS Y3, (DX)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, DI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     rdloop
	VZEROUPPER

rddone:
	RET

// func adamAVX2(w, g, m, v []float32, k *AdamStep)
//
// One AdamW update of len(w)&^7 elements, eight at a time, with the
// operations of the scalar form in its order and no fused multiply-adds:
// m = b1·m + c1·g, v = b2·v + (c2·g)·g in float32;
// u = (stepSize·m) / (√v / sqrtBC2 + eps) in float64, rounded to float32;
// w = w·decay − u in float32.
TEXT ·adamAVX2(SB), NOSPLIT, $0-104
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ m_base+48(FP), R8
	MOVQ v_base+72(FP), R9
	MOVQ k+96(FP), AX
	SHRQ $3, CX
	JZ   adamdone
	VBROADCASTSS 0(AX), Y10
	VBROADCASTSS 4(AX), Y11
	VBROADCASTSS 8(AX), Y12
	VBROADCASTSS 12(AX), Y13
	VBROADCASTSS 16(AX), Y14
	VBROADCASTSD 24(AX), Y7
	VBROADCASTSD 32(AX), Y8
	VBROADCASTSD 40(AX), Y9

adamloop:
	VMOVUPS (SI), Y0
	// m = b1·m + c1·g into Y1.
	VMULPS  (R8), Y10, Y1
	VMULPS  Y0, Y11, Y2
	VADDPS  Y2, Y1, Y1
	VMOVUPS Y1, (R8)
	// v = b2·v + (c2·g)·g into Y3.
	VMULPS  (R9), Y12, Y3
	VMULPS  Y0, Y13, Y4
	VMULPS  Y0, Y4, Y4
	VADDPS  Y4, Y3, Y3
	VMOVUPS Y3, (R9)
	// Lanes 0-3: u into X6.
	VCVTPS2PD  X3, Y5
	VSQRTPD    Y5, Y5
	VDIVPD     Y8, Y5, Y5
	VADDPD     Y9, Y5, Y5
	VCVTPS2PD  X1, Y6
	VMULPD     Y7, Y6, Y6
	VDIVPD     Y5, Y6, Y6
	VCVTPD2PSY Y6, X6
	// Lanes 4-7: u into X15.
	VEXTRACTF128 $1, Y3, X3
	VEXTRACTF128 $1, Y1, X1
	VCVTPS2PD    X3, Y5
	VSQRTPD      Y5, Y5
	VDIVPD       Y8, Y5, Y5
	VADDPD       Y9, Y5, Y5
	VCVTPS2PD    X1, Y15
	VMULPD       Y7, Y15, Y15
	VDIVPD       Y5, Y15, Y15
	VCVTPD2PSY   Y15, X15
	VINSERTF128  $1, X15, Y6, Y6
	// w = w·decay − u.
	VMULPS  (DI), Y14, Y2
	VSUBPS  Y6, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R8
	ADDQ    $32, R9
	DECQ    CX
	JNZ     adamloop
	VZEROUPPER

adamdone:
	RET

// HSUMPD leaves the sum of the float64 lanes of Y0 and Y1 in X0:
// ((Y0+Y1) lanes 0+2) + (lanes 1+3).
#define HSUMPD \
	VADDPD       Y1, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPD       X1, X0, X0 \
	VPERMILPD    $1, X0, X1 \
	VADDSD       X1, X0, X0

// func layerNormAVX2(dst, src, w, b []float32, eps, fd float64)
//
// One row of LayerNorm, len(src) a multiple of 8 and fd = len(src):
// mean = float32(Σx / fd) and var = float32(Σ(x − mean)² / fd) with the
// sums in float64 (eight lanes), inv = 1 / float32(√(var + eps)), and
// dst = (x − mean)·inv·w + b in float32 without fused multiply-adds.
TEXT ·layerNormAVX2(SB), NOSPLIT, $0-112
	MOVQ   dst_base+0(FP), DI
	MOVQ   src_base+24(FP), SI
	MOVQ   src_len+32(FP), CX
	MOVQ   w_base+48(FP), R8
	MOVQ   b_base+72(FP), R9
	SHRQ   $3, CX
	JZ     lndone
	VMOVSD fd+104(FP), X4

	// Pass 1: Σx.
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	MOVQ   SI, AX
	MOVQ   CX, BX

lnsum:
	VCVTPS2PD (AX), Y2
	VCVTPS2PD 16(AX), Y3
	VADDPD    Y2, Y0, Y0
	VADDPD    Y3, Y1, Y1
	ADDQ      $32, AX
	DECQ      BX
	JNZ       lnsum
	HSUMPD
	VDIVSD       X4, X0, X0
	VCVTSD2SS    X0, X0, X5
	VBROADCASTSS X5, Y5

	// Pass 2: Σ(x − mean)².
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	MOVQ   SI, AX
	MOVQ   CX, BX

lnvar:
	VMOVUPS      (AX), Y2
	VSUBPS       Y5, Y2, Y2
	VCVTPS2PD    X2, Y3
	VEXTRACTF128 $1, Y2, X2
	VCVTPS2PD    X2, Y2
	VMULPD       Y3, Y3, Y3
	VMULPD       Y2, Y2, Y2
	VADDPD       Y3, Y0, Y0
	VADDPD       Y2, Y1, Y1
	ADDQ         $32, AX
	DECQ         BX
	JNZ          lnvar
	HSUMPD
	VDIVSD       X4, X0, X0
	VCVTSD2SS    X0, X0, X0
	VCVTSS2SD    X0, X0, X0
	VADDSD       eps+96(FP), X0, X0
	VSQRTSD      X0, X0, X0
	VCVTSD2SS    X0, X0, X0
	VMOVSS       one<>(SB), X6
	VDIVSS       X0, X6, X6
	VBROADCASTSS X6, Y6

	// Pass 3: dst = (x − mean)·inv·w + b.
lnout:
	VMOVUPS (SI), Y2
	VSUBPS  Y5, Y2, Y2
	VMULPS  Y6, Y2, Y2
	VMULPS  (R8), Y2, Y2
	VADDPS  (R9), Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R8
	ADDQ    $32, R9
	DECQ    CX
	JNZ     lnout
	VZEROUPPER

lndone:
	RET

// func biasRowsAVX2(c []float32, ldc, rows int, bias []float32, relu int)
//
// For each of rows rows of c (ldc apart), the first len(bias)&^7 values
// get c + bias, then max(·, 0) when relu ≠ 0 (NaN stays NaN).
TEXT ·biasRowsAVX2(SB), NOSPLIT, $0-72
	MOVQ   c_base+0(FP), DI
	MOVQ   ldc+24(FP), R8
	SHLQ   $2, R8
	MOVQ   rows+32(FP), DX
	MOVQ   bias_base+40(FP), SI
	MOVQ   bias_len+48(FP), CX
	MOVQ   relu+64(FP), BX
	SHRQ   $3, CX
	JZ     brsdone
	TESTQ  DX, DX
	JZ     brsdone
	VXORPS Y7, Y7, Y7

brsrow:
	MOVQ  DI, AX
	MOVQ  SI, R9
	MOVQ  CX, R10
	TESTQ BX, BX
	JZ    brsadd

brsrelu:
	VMOVUPS (AX), Y0
	VADDPS  (R9), Y0, Y0
	VMAXPS  Y0, Y7, Y0
	VMOVUPS Y0, (AX)
	ADDQ    $32, AX
	ADDQ    $32, R9
	DECQ    R10
	JNZ     brsrelu
	JMP     brsnext

brsadd:
	VMOVUPS (AX), Y0
	VADDPS  (R9), Y0, Y0
	VMOVUPS Y0, (AX)
	ADDQ    $32, AX
	ADDQ    $32, R9
	DECQ    R10
	JNZ     brsadd

brsnext:
	ADDQ R8, DI
	DECQ DX
	JNZ  brsrow
	VZEROUPPER

brsdone:
	RET
