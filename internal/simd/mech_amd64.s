//go:build amd64 && !purego

#include "textflag.h"

// The SCM sampler's mechanism terms in float64, four lanes at a time:
// dst[i] += w·f(src[i]). Every kernel repeats its scalar form's operations
// in the same order without fusing a multiply and an add, so each lane
// gives the scalar form's bits (scm's TestAddTermSameBitsAsScalar checks it). A kernel
// stops before the first group of four that holds a value outside its
// domain and returns how many elements it did; the caller finishes with the
// scalar form.

// Each constant is a 32-byte vector of four equal 64-bit values.
#define D4(name, bits) \
	DATA name<>+0(SB)/8, $bits \
	DATA name<>+8(SB)/8, $bits \
	DATA name<>+16(SB)/8, $bits \
	DATA name<>+24(SB)/8, $bits \
	GLOBL name<>(SB), RODATA|NOPTR, $32

// Four equal int32 values (the trig kernels' octant arithmetic).
#define I4(name, bits) \
	DATA name<>+0(SB)/4, $bits \
	DATA name<>+4(SB)/4, $bits \
	DATA name<>+8(SB)/4, $bits \
	DATA name<>+12(SB)/4, $bits \
	GLOBL name<>(SB), RODATA|NOPTR, $16

D4(dabs, 0x7fffffffffffffff) // |x| mask
D4(dsign, 0x8000000000000000) // sign bit
D4(done, 0x3ff0000000000000) // 1
D4(dtwo, 0x4000000000000000) // 2
D4(dhalf, 0x3fe0000000000000) // 0.5
D4(dlim29, 0x41c0000000000000) // 2^29, math's reduceThreshold
D4(dinf, 0x7ff0000000000000) // +Inf
D4(dfouroverpi, 0x3ff45f306dc9c883) // 4/π as Go rounds the constant
D4(pi4a, 0x3fe921fb40000000) // π/4 in three parts (math.sin)
D4(pi4b, 0x3e64442d00000000)
D4(pi4c, 0x3ce8469898cc5170)
D4(sin0, 0x3de5d8fd1fd19ccd) // math's _sin
D4(sin1, 0xbe5ae5e5a9291f5d)
D4(sin2, 0x3ec71de3567d48a1)
D4(sin3, 0xbf2a01a019bfdf03)
D4(sin4, 0x3f8111111110f7d0)
D4(sin5, 0xbfc5555555555548)
D4(cos0, 0xbda8fa49a0861a9b) // math's _cos
D4(cos1, 0x3e21ee9d7b4e3f05)
D4(cos2, 0xbe927e4f7eac4bc6)
D4(cos3, 0x3efa01a019c844f5)
D4(cos4, 0xbf56c16c16c14f91)
D4(cos5, 0x3fa555555555554b)
D4(dm5, 0xc014000000000000) // -5
D4(dp5, 0x4014000000000000) // 5
D4(dlog2e, 0x3ff71547652b82fe) // log2(e)
D4(dln2hi, 0x3fe62e42fee00000) // ln 2 in two parts
D4(dln2lo, 0x3dea39ef35793c76)
D4(ep1, 0x3fc5555555555555) // expFast's p1..p5
D4(ep2, 0xbf66c16c16bebd93)
D4(ep3, 0x3f11566aaf25de2c)
D4(ep4, 0xbebbbd41c5d26bf1)
D4(ep5, 0x3e66376972bea4d0)
D4(q1023, 0x00000000000003ff) // exponent bias (int64 lanes)
D4(deps5, 0x3ee4f8b588e368f1) // the Log mechanism's 1e-5
D4(hxoff, 0x0000000000095f62) // 0x3ff00000 − 0x3fe6a09e
D4(lo32, 0x00000000ffffffff) // low 32 bits
D4(m20, 0x00000000000fffff) // low 20 bits
D4(c3fe6, 0x000000003fe6a09e) // √2/2's high word
D4(magic, 0x4338000000000000) // 1.5·2^52: int64 k ↔ float64 by one add
D4(l1, 0x3fe5555555555593) // logFast's l1..l7
D4(l2, 0x3fd999999997fa04)
D4(l3, 0x3fd2492494229359)
D4(l4, 0x3fcc71c51d8e78af)
D4(l5, 0x3fc7466496cb03de)
D4(l6, 0x3fc39a09d078c69f)
D4(l7, 0x3fc2f112df3e5244)
D4(tp0, 0xbfeedc5baafd6f4b) // tanhFast's p0..p2, q0..q2
D4(tp1, 0xc058d26a0e26682d)
D4(tp2, 0xc0993ac030580563)
D4(tq0, 0x405c33f28a581b86)
D4(tq1, 0x40a176fa0e5535fa)
D4(tq2, 0x40b2ec102442040c)
D4(d0625, 0x3fe4000000000000) // 0.625
D4(d22, 0x4036000000000000) // 22
I4(i1, 1)
I4(i2, 2)
I4(i4, 4)

// EXPPD sets out = scm's expFast(in) for |in| ≤ 700 (in is kept); t1..t5
// are scratch and k (the power of two, int32) ends in kx, the X register
// of tk.
#define EXPPD(in, out, t1, t2, t3, t4, t5, tk, kx) \
	VMULPD      dlog2e<>(SB), in, t1 \
	VANDPD      dsign<>(SB), in, t2 \
	VORPD       dhalf<>(SB), t2, t2 \
	VADDPD      t2, t1, t1 \
	VCVTTPD2DQY t1, kx \
	VCVTDQ2PD   kx, t1 \
	VMULPD      dln2hi<>(SB), t1, t2 \
	VSUBPD      t2, in, t2 \
	VMULPD      dln2lo<>(SB), t1, t3 \
	VSUBPD      t3, t2, t4 \
	VMULPD      t4, t4, t5 \
	VMULPD      ep5<>(SB), t5, t1 \
	VADDPD      ep4<>(SB), t1, t1 \
	VMULPD      t5, t1, t1 \
	VADDPD      ep3<>(SB), t1, t1 \
	VMULPD      t5, t1, t1 \
	VADDPD      ep2<>(SB), t1, t1 \
	VMULPD      t5, t1, t1 \
	VADDPD      ep1<>(SB), t1, t1 \
	VMULPD      t5, t1, t1 \
	VSUBPD      t1, t4, t1 \
	VMULPD      t1, t4, t4 \
	VMOVUPD     dtwo<>(SB), t5 \
	VSUBPD      t1, t5, t5 \
	VDIVPD      t5, t4, t4 \
	VSUBPD      t4, t3, t4 \
	VSUBPD      t2, t4, t4 \
	VMOVUPD     done<>(SB), t5 \
	VSUBPD      t4, t5, out \
	VPMOVSXDQ   kx, tk \
	VPADDQ      q1023<>(SB), tk, tk \
	VPSLLQ      $52, tk, tk \
	VMULPD      tk, out, out

// HORNER6 sets Y7 = ((((c0·zz + c1)·zz + c2)·zz + c3)·zz + c4)·zz + c5
// for zz in Y6, math's order of operations.
#define HORNER6(c0, c1, c2, c3, c4, c5) \
	VMULPD c0<>(SB), Y6, Y7 \
	VADDPD c1<>(SB), Y7, Y7 \
	VMULPD Y6, Y7, Y7 \
	VADDPD c2<>(SB), Y7, Y7 \
	VMULPD Y6, Y7, Y7 \
	VADDPD c3<>(SB), Y7, Y7 \
	VMULPD Y6, Y7, Y7 \
	VADDPD c4<>(SB), Y7, Y7 \
	VMULPD Y6, Y7, Y7 \
	VADDPD c5<>(SB), Y7, Y7

// OCTANT sets the 64-bit lane mask out to all ones where the int32 octant
// in X3 has bit b (given as the i-constant's name) set; tx is scratch.
#define OCTANT(bit, tx, out) \
	VPAND     bit<>(SB), X3, tx \
	VPCMPEQD  bit<>(SB), tx, tx \
	VPMOVSXDQ tx, out

// TRIG loads x into Y0 (jumping to exit unless every |x| < 2^29) and sets,
// from |x| in Y1, the reduced argument's two polynomials of math.sin and
// math.cos: Y8 = z + z·zz·S(zz) and Y9 = 1 − zz/2 + zz²·C(zz), the octant
// j (even, int32) in X3, and the 64-bit lane masks of j's bit 1 in Y10 and
// bit 2 in Y11; it uses Y1–Y11.
#define TRIG(exit) \
	VMOVUPD     (SI)(AX*8), Y0 \
	VANDPD      dabs<>(SB), Y0, Y1 \
	VCMPPD      $1, dlim29<>(SB), Y1, Y2 \
	VMOVMSKPD   Y2, BX \
	CMPQ        BX, $15 \
	JNE         exit \
	VMULPD      dfouroverpi<>(SB), Y1, Y3 \
	VCVTTPD2DQY Y3, X3 \
	VPAND       i1<>(SB), X3, X4 \
	VPADDD      X4, X3, X3 \
	VCVTDQ2PD   X3, Y4 \
	VMULPD      pi4a<>(SB), Y4, Y5 \
	VSUBPD      Y5, Y1, Y5 \
	VMULPD      pi4b<>(SB), Y4, Y6 \
	VSUBPD      Y6, Y5, Y5 \
	VMULPD      pi4c<>(SB), Y4, Y6 \
	VSUBPD      Y6, Y5, Y5 \
	VMULPD      Y5, Y5, Y6 \
	HORNER6(sin0, sin1, sin2, sin3, sin4, sin5) \
	VMULPD      Y6, Y5, Y8 \
	VMULPD      Y7, Y8, Y8 \
	VADDPD      Y8, Y5, Y8 \
	HORNER6(cos0, cos1, cos2, cos3, cos4, cos5) \
	VMULPD      Y6, Y6, Y9 \
	VMULPD      Y7, Y9, Y9 \
	VMULPD      dhalf<>(SB), Y6, Y10 \
	VMOVUPD     done<>(SB), Y11 \
	VSUBPD      Y10, Y11, Y10 \
	VADDPD      Y9, Y10, Y9 \
	OCTANT(i2, X10, Y10) \
	OCTANT(i4, X11, Y11)

// The loop's head and tail: AX counts elements done, CX groups of four
// left; the kernel's value for the group ends in Y12.
#define HEAD(label) \
	MOVQ         dst_base+0(FP), DI \
	MOVQ         dst_len+8(FP), CX \
	MOVQ         src_base+24(FP), SI \
	VBROADCASTSD w+48(FP), Y15 \
	XORQ         AX, AX \
	SHRQ         $2, CX \
	JZ           label

// LOADNOTNAN loads x into Y0, jumping to exit if a lane is NaN.
#define LOADNOTNAN(exit) \
	VMOVUPD   (SI)(AX*8), Y0 \
	VCMPPD    $3, Y0, Y0, Y2 \
	VMOVMSKPD Y2, BX \
	TESTQ     BX, BX \
	JNZ       exit

#define ACCUMULATE \
	VMULPD  Y15, Y12, Y12 \
	VADDPD  (DI)(AX*8), Y12, Y12 \
	VMOVUPD Y12, (DI)(AX*8) \
	ADDQ    $4, AX

// func addSinAVX2(dst, src []float64, w float64) int
//
// w·math.Sin(x) for |x| < 2^29.
TEXT ·addSinAVX2(SB), NOSPLIT, $0-64
	HEAD(sindone)

sinloop:
	TRIG(sindone)
	VBLENDVPD Y10, Y9, Y8, Y12
	VXORPD    Y13, Y13, Y13
	VCMPPD    $1, Y13, Y0, Y14
	VXORPD    Y11, Y14, Y14
	VANDPD    dsign<>(SB), Y14, Y14
	VXORPD    Y14, Y12, Y12
	VCMPPD    $0, Y13, Y0, Y14
	VBLENDVPD Y14, Y0, Y12, Y12
	ACCUMULATE
	DECQ      CX
	JNZ       sinloop

sindone:
	VZEROUPPER
	MOVQ AX, ret+56(FP)
	RET

// func addCosAVX2(dst, src []float64, w float64) int
//
// w·math.Cos(x) for |x| < 2^29.
TEXT ·addCosAVX2(SB), NOSPLIT, $0-64
	HEAD(cosdone)

cosloop:
	TRIG(cosdone)
	VBLENDVPD Y10, Y8, Y9, Y12
	VXORPD    Y11, Y10, Y14
	VANDPD    dsign<>(SB), Y14, Y14
	VXORPD    Y14, Y12, Y12
	ACCUMULATE
	DECQ      CX
	JNZ       cosloop

cosdone:
	VZEROUPPER
	MOVQ AX, ret+56(FP)
	RET

// func addExpClampedAVX2(dst, src []float64, w float64) int
//
// w·expFast(clamp(x, −5, 5)) for x not NaN.
TEXT ·addExpClampedAVX2(SB), NOSPLIT, $0-64
	HEAD(expdone)

exploop:
	LOADNOTNAN(expdone)
	VMAXPD    dm5<>(SB), Y0, Y1
	VMINPD    dp5<>(SB), Y1, Y1
	EXPPD(Y1, Y12, Y2, Y3, Y4, Y5, Y6, Y7, X7)
	ACCUMULATE
	DECQ      CX
	JNZ       exploop

expdone:
	VZEROUPPER
	MOVQ AX, ret+56(FP)
	RET

// func addLogAbsAVX2(dst, src []float64, w float64) int
//
// w·logFast(|x| + 1e-5) for finite x.
TEXT ·addLogAbsAVX2(SB), NOSPLIT, $0-64
	HEAD(logdone)

logloop:
	VMOVUPD   (SI)(AX*8), Y0
	VANDPD    dabs<>(SB), Y0, Y1
	VCMPPD    $1, dinf<>(SB), Y1, Y2
	VMOVMSKPD Y2, BX
	CMPQ      BX, $15
	JNE       logdone
	VADDPD    deps5<>(SB), Y1, Y1
	// hx = uint32(bits>>32) + (0x3ff00000 − 0x3fe6a09e), k = hx>>20 − 0x3ff
	VPSRLQ    $32, Y1, Y2
	VPADDQ    hxoff<>(SB), Y2, Y2
	VPAND     lo32<>(SB), Y2, Y2
	VPSRLQ    $20, Y2, Y3
	VPSUBQ    q1023<>(SB), Y3, Y3
	VPADDQ    magic<>(SB), Y3, Y3
	VSUBPD    magic<>(SB), Y3, Y3
	// f = float64frombits((hx&0xfffff + 0x3fe6a09e)<<32 | bits&0xffffffff) − 1
	VPAND     m20<>(SB), Y2, Y4
	VPADDQ    c3fe6<>(SB), Y4, Y4
	VPSLLQ    $32, Y4, Y4
	VPAND     lo32<>(SB), Y1, Y5
	VPOR      Y5, Y4, Y4
	VSUBPD    done<>(SB), Y4, Y4
	// s = f/(2+f), t1 = s2·(l1+s4·(l3+s4·(l5+s4·l7))), t2 = s4·(l2+s4·(l4+s4·l6))
	VADDPD    dtwo<>(SB), Y4, Y5
	VDIVPD    Y5, Y4, Y5
	VMULPD    Y5, Y5, Y6
	VMULPD    Y6, Y6, Y7
	VMULPD    l7<>(SB), Y7, Y8
	VADDPD    l5<>(SB), Y8, Y8
	VMULPD    Y7, Y8, Y8
	VADDPD    l3<>(SB), Y8, Y8
	VMULPD    Y7, Y8, Y8
	VADDPD    l1<>(SB), Y8, Y8
	VMULPD    Y6, Y8, Y8
	VMULPD    l6<>(SB), Y7, Y9
	VADDPD    l4<>(SB), Y9, Y9
	VMULPD    Y7, Y9, Y9
	VADDPD    l2<>(SB), Y9, Y9
	VMULPD    Y7, Y9, Y9
	VADDPD    Y9, Y8, Y8
	// hfsq = 0.5·f·f; k·ln2Hi − ((hfsq − (s·(hfsq+R) + k·ln2Lo)) − f)
	VMULPD    dhalf<>(SB), Y4, Y9
	VMULPD    Y4, Y9, Y9
	VADDPD    Y8, Y9, Y10
	VMULPD    Y10, Y5, Y10
	VMULPD    dln2lo<>(SB), Y3, Y11
	VADDPD    Y11, Y10, Y10
	VSUBPD    Y10, Y9, Y10
	VSUBPD    Y4, Y10, Y10
	VMULPD    dln2hi<>(SB), Y3, Y11
	VSUBPD    Y10, Y11, Y12
	ACCUMULATE
	DECQ      CX
	JNZ       logloop

logdone:
	VZEROUPPER
	MOVQ AX, ret+56(FP)
	RET

// func addTanhAVX2(dst, src []float64, w float64) int
//
// w·tanhFast(x) for x not NaN.
TEXT ·addTanhAVX2(SB), NOSPLIT, $0-64
	HEAD(tanhdone)

tanhloop:
	LOADNOTNAN(tanhdone)
	VANDPD    dabs<>(SB), Y0, Y1
	VANDPD    dsign<>(SB), Y0, Y13
	// |x| ≥ 0.625: copysign(1 − 2/(expFast(2|x|)+1), x), |x| capped at 22
	// (where the result is ±1 anyway) to keep expFast in its range.
	VMINPD    d22<>(SB), Y1, Y2
	VADDPD    Y2, Y2, Y2
	EXPPD(Y2, Y10, Y3, Y4, Y5, Y6, Y7, Y8, X8)
	VADDPD    done<>(SB), Y10, Y10
	VMOVUPD   dtwo<>(SB), Y3
	VDIVPD    Y10, Y3, Y10
	VMOVUPD   done<>(SB), Y3
	VSUBPD    Y10, Y3, Y10
	VORPD     Y13, Y10, Y10
	// |x| < 0.625: x + x·s·((p0·s+p1)·s+p2)/(((s+q0)·s+q1)·s+q2), s = x²
	VMULPD    Y0, Y0, Y3
	VMULPD    tp0<>(SB), Y3, Y4
	VADDPD    tp1<>(SB), Y4, Y4
	VMULPD    Y3, Y4, Y4
	VADDPD    tp2<>(SB), Y4, Y4
	VADDPD    tq0<>(SB), Y3, Y5
	VMULPD    Y3, Y5, Y5
	VADDPD    tq1<>(SB), Y5, Y5
	VMULPD    Y3, Y5, Y5
	VADDPD    tq2<>(SB), Y5, Y5
	VMULPD    Y3, Y0, Y6
	VMULPD    Y4, Y6, Y6
	VDIVPD    Y5, Y6, Y6
	VADDPD    Y6, Y0, Y12
	VCMPPD    $13, d0625<>(SB), Y1, Y7
	VBLENDVPD Y7, Y10, Y12, Y12
	// |x| ≥ 22: copysign(1, x)
	VMOVUPD   done<>(SB), Y3
	VORPD     Y13, Y3, Y3
	VCMPPD    $13, d22<>(SB), Y1, Y7
	VBLENDVPD Y7, Y3, Y12, Y12
	ACCUMULATE
	DECQ      CX
	JNZ       tanhloop

tanhdone:
	VZEROUPPER
	MOVQ AX, ret+56(FP)
	RET
