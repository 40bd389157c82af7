"""Generates the AVX-512 elementwise kernels (vector_amd64.s): exp-based
softmax and GELU, AdamW, LayerNorm rows and vector helpers. Run from
model/kernel: python3 asmgen/vector.py

exp(x) reduces x by multiples of ln 2 (VRNDSCALEPS), evaluates the Cephes
expf polynomial and scales by 2^n with VSCALEFPS, which also handles
overflow and underflow. Tails use masked loads and stores, so every element
goes through the same instructions wherever it sits in a slice.
"""
from asmfile import AsmFile

asm = AsmFile("vector.py")
e, L = asm.e, asm.label
# constants
consts = {
 "log2e": 1.44269504088896341, "ln2hi": 0.693359375, "ln2lo": -2.12194440e-4,
 "p0": 1.9875691500e-4, "p1": 1.3981999507e-3, "p2": 8.3334519073e-3, "p3": 4.1665795894e-2,
 "p4": 1.6666665459e-1, "p5": 5.0000001201e-1, "one": 1.0, "explo": -104.0,
 "gs": 0.7978845608028654, "gc": 0.7978845608028654*0.044715, "half": 0.5, "two": 2.0,
 "glim": 15.0, "ninf": float("-inf"),
}
import struct
def bits(v): return struct.unpack("<I", struct.pack("<f", v))[0]
# registers holding constants
creg = {"log2e":"Z16","ln2hi":"Z17","ln2lo":"Z18","p0":"Z19","p1":"Z20","p2":"Z21","p3":"Z22","p4":"Z23","p5":"Z24","one":"Z25","explo":"Z26"}
for i,(k,v) in enumerate(consts.items()):
    e(f"DATA vconst<>+{4*i}(SB)/4, $0x{bits(v):08x} // {k}")
coff = {k:4*i for i,k in enumerate(consts)}
e(f"GLOBL vconst<>(SB), RODATA|NOPTR, ${4*len(consts)}")
e("")

def bcast(name, reg):
    e(f"\tVBROADCASTSS vconst<>+{coff[name]}(SB), {reg}")

def load_exp_consts():
    for k,r in creg.items(): bcast(k, r)

def exp(x, t1, t2, t3):
    """x = exp(x); clobbers t1..t3"""
    e(f"\tVMAXPS {creg['explo']}, {x}, {x}")
    e(f"\tVMULPS {creg['log2e']}, {x}, {t1}")
    e(f"\tVRNDSCALEPS $0, {t1}, {t1}")
    e(f"\tVFNMADD231PS {creg['ln2hi']}, {t1}, {x}")
    e(f"\tVFNMADD231PS {creg['ln2lo']}, {t1}, {x}")
    e(f"\tVMOVAPS {creg['p0']}, {t2}")
    for p in ["p1","p2","p3","p4","p5"]:
        e(f"\tVFMADD213PS {creg[p]}, {x}, {t2}")
    e(f"\tVMULPS {x}, {x}, {t3}")
    e(f"\tVFMADD213PS {x}, {t3}, {t2}")
    e(f"\tVADDPS {creg['one']}, {t2}, {t2}")
    e(f"\tVSCALEFPS {t1}, {t2}, {x}")

def hsum(z, y, x, tmpy, tmpx, op="VADDPS", ops="VADDSS"):
    e(f"\tVEXTRACTF32X8 $1, {z}, {tmpy}")
    e(f"\t{op} {tmpy}, {y}, {y}")
    e(f"\tVEXTRACTF128 $1, {y}, {tmpx}")
    e(f"\t{op} {tmpx}, {x}, {x}")
    e(f"\tVMOVHLPS {x}, {x}, {tmpx}")
    e(f"\t{op} {tmpx}, {x}, {x}")
    e(f"\tVMOVSHDUP {x}, {tmpx}")
    e(f"\t{ops} {tmpx}, {x}, {x}")

def loop(name, ptrs, body, nreg="CX"):
    """ptrs: registers advanced by 64 bytes per 16 elements; body(masked) emits code for 16 elements."""
    lp, tail, end = L(name+"loop"), L(name+"tail"), L(name+"end")
    e(f"{lp}:")
    e(f"\tCMPQ {nreg}, $16")
    e(f"\tJLT {tail}")
    body(False)
    for p in ptrs: e(f"\tADDQ $64, {p}")
    e(f"\tSUBQ $16, {nreg}")
    e(f"\tJMP {lp}")
    e(f"{tail}:")
    e(f"\tTESTQ {nreg}, {nreg}")
    e(f"\tJZ {end}")
    e(f"\tMOVL $1, AX")
    e(f"\tSHLL {nreg[0:]}, AX" if nreg=="CX" else "")
    e(f"\tDECL AX")
    e(f"\tKMOVW AX, K1")
    body(True)
    e(f"{end}:")

def ld(addr, reg, masked):
    if masked: e(f"\tVMOVUPS.Z {addr}, K1, {reg}")
    else: e(f"\tVMOVUPS {addr}, {reg}")
def st(reg, addr, masked):
    if masked: e(f"\tVMOVUPS {reg}, K1, {addr}")
    else: e(f"\tVMOVUPS {reg}, {addr}")

# expShift: dst[i] = exp(x[i]-m), returns sum
e("// func expShiftAVX512(dst, x *float32, n int, m float32) float32")
e("TEXT ·expShiftAVX512(SB), NOSPLIT, $0-36")
e("\tMOVQ dst+0(FP), DI")
e("\tMOVQ x+8(FP), SI")
e("\tMOVQ n+16(FP), CX")
e("\tVBROADCASTSS m+24(FP), Z15")
load_exp_consts()
e("\tVPXORD Z8, Z8, Z8")
def b(masked):
    ld("(SI)", "Z0", masked)
    e("\tVSUBPS Z15, Z0, Z0")
    exp("Z0","Z1","Z2","Z3")
    if masked:
        e("\tVMOVAPS.Z Z0, K1, Z0")
    e("\tVADDPS Z0, Z8, Z8")
    st("Z0", "(DI)", masked)
loop("es", ["SI","DI"], b)
hsum("Z8","Y8","X8","Y9","X9")
e("\tMOVSS X8, ret+32(FP)")
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func expSumAVX512(x *float32, n int, m float32) float32")
e("TEXT ·expSumAVX512(SB), NOSPLIT, $0-28")
e("\tMOVQ x+0(FP), SI")
e("\tMOVQ n+8(FP), CX")
e("\tVBROADCASTSS m+16(FP), Z15")
load_exp_consts()
e("\tVPXORD Z8, Z8, Z8")
def b(masked):
    ld("(SI)", "Z0", masked)
    e("\tVSUBPS Z15, Z0, Z0")
    exp("Z0","Z1","Z2","Z3")
    if masked:
        e("\tVMOVAPS.Z Z0, K1, Z0")
    e("\tVADDPS Z0, Z8, Z8")
loop("esum", ["SI"], b)
hsum("Z8","Y8","X8","Y9","X9")
e("\tMOVSS X8, ret+24(FP)")
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func maxAVX512(x *float32, n int) float32")
e("TEXT ·maxAVX512(SB), NOSPLIT, $0-20")
e("\tMOVQ x+0(FP), SI")
e("\tMOVQ n+8(FP), CX")
bcast("ninf","Z8")
bcast("ninf","Z7")
def b(masked):
    if masked:
        e("\tVMOVAPS Z7, Z0")
        e("\tVMOVUPS (SI), K1, Z0")
    else:
        ld("(SI)","Z0",False)
    e("\tVMAXPS Z0, Z8, Z8")
loop("mx", ["SI"], b)
hsum("Z8","Y8","X8","Y9","X9", "VMAXPS", "VMAXSS")
e("\tMOVSS X8, ret+16(FP)")
e("\tVZEROUPPER")
e("\tRET")
e("")

def gelu_t(x):
    """Z0 = x (input reg x). computes Z4 = tanh(u), uses Z1-Z3,Z5. x preserved in x."""
    # z = 2u = x*(2gs + 2gc x^2), clamp to [-glim*2, glim*2]
    e(f"\tVMULPS {x}, {x}, Z5")
    e(f"\tVMOVAPS Z12, Z0")
    e(f"\tVFMADD231PS Z13, Z5, Z0")   # Z0 = gs + gc*x^2
    e(f"\tVMULPS {x}, Z0, Z0")        # u
    e(f"\tVADDPS Z0, Z0, Z0")         # 2u
    e(f"\tVMINPS Z11, Z0, Z0")
    e(f"\tVMAXPS Z10, Z0, Z0")
    exp("Z0","Z1","Z2","Z3")
    e(f"\tVADDPS {creg['one']}, Z0, Z0")  # d = e+1
    e(f"\tVRCP14PS Z0, Z1")
    e(f"\tVMOVAPS Z14, Z2")            # 2
    e(f"\tVFNMADD231PS Z1, Z0, Z2")   # 2 - d*r
    e(f"\tVMULPS Z2, Z1, Z1")          # r = 1/d
    e(f"\tVMOVAPS {creg['one']}, Z4")
    e(f"\tVFNMADD231PS Z14, Z1, Z4")   # t = 1 - 2r

def gelu_consts():
    load_exp_consts()
    bcast("gs","Z12"); bcast("gc","Z13"); bcast("two","Z14")
    bcast("glim","Z11")
    e("\tVXORPS Z10, Z10, Z10")
    e("\tVSUBPS Z11, Z10, Z10")
    e("\tVADDPS Z11, Z11, Z11")  # 2*glim
    e("\tVADDPS Z10, Z10, Z10")
    bcast("half","Z9")

e("// func geluFwdAVX512(out, inp *float32, n int)")
e("TEXT ·geluFwdAVX512(SB), NOSPLIT, $0-24")
e("\tMOVQ out+0(FP), DI")
e("\tMOVQ inp+8(FP), SI")
e("\tMOVQ n+16(FP), CX")
gelu_consts()
def b(masked):
    ld("(SI)","Z6",masked)
    gelu_t("Z6")
    e("\tVMULPS Z9, Z6, Z6")          # hx
    e("\tVFMADD231PS Z6, Z4, Z6")     # hx + hx*t
    st("Z6","(DI)",masked)
loop("gf", ["SI","DI"], b)
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func geluBwdAVX512(dinp, inp, dout *float32, n int)")
e("TEXT ·geluBwdAVX512(SB), NOSPLIT, $0-32")
e("\tMOVQ dinp+0(FP), DI")
e("\tMOVQ inp+8(FP), SI")
e("\tMOVQ dout+16(FP), DX")
e("\tMOVQ n+24(FP), CX")
gelu_consts()
bcast("gc","Z7")
e("\tVADDPS Z7, Z7, Z8")
e("\tVADDPS Z7, Z8, Z8")  # 3gc
def b(masked):
    ld("(SI)","Z6",masked)
    gelu_t("Z6")
    # g = 0.5(1+t) + hx*(1-t^2)*(gs + 3gc x^2); Z5 = x^2
    e("\tVMOVAPS Z12, Z0")
    e("\tVFMADD231PS Z8, Z5, Z0")      # gs + 3gc x^2
    e("\tVMULPS Z9, Z6, Z6")           # hx
    e("\tVMULPS Z6, Z0, Z0")           # hx*(..)
    e(f"\tVMOVAPS {creg['one']}, Z1")
    e("\tVFNMADD231PS Z4, Z4, Z1")     # 1 - t^2
    e("\tVMULPS Z1, Z0, Z0")           # hx*sech2*(..)
    e(f"\tVADDPS {creg['one']}, Z4, Z1")
    e("\tVFMADD231PS Z9, Z1, Z0")      # + 0.5(1+t)
    ld("(DX)","Z1",masked)
    e("\tVMULPS Z1, Z0, Z2")          # dout read before dinp is written: they may alias
    st("Z2","(DI)",masked)
loop("gb", ["SI","DI","DX"], b)
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func adamwAVX512(p, grad, m, v *float32, n int, hp *[10]float32)")
e("//")
e("// hp: beta1, 1-beta1, beta2, 1-beta2, c1, c2, eps, lr, weight decay,")
e("// gradient scale.")
e("TEXT ·adamwAVX512(SB), NOSPLIT, $0-48")
e("\tMOVQ p+0(FP), DI")
e("\tMOVQ grad+8(FP), SI")
e("\tMOVQ m+16(FP), R8")
e("\tMOVQ v+24(FP), R9")
e("\tMOVQ n+32(FP), CX")
e("\tMOVQ hp+40(FP), AX")
for i in range(10):
    e(f"\tVBROADCASTSS {4*i}(AX), Z{16+i}")
def b(masked):
    ld("(SI)","Z0",masked)    # g
    e("\tVMULPS Z25, Z0, Z0")         # g *= scale, rounded as a clip pass would
    ld("(R8)","Z1",masked)    # m
    ld("(R9)","Z2",masked)    # v
    ld("(DI)","Z3",masked)    # p
    e("\tVMULPS Z16, Z1, Z1")
    e("\tVFMADD231PS Z17, Z0, Z1")    # m = b1 m + (1-b1) g
    e("\tVMULPS Z18, Z2, Z2")
    e("\tVMULPS Z0, Z0, Z4")
    e("\tVFMADD231PS Z19, Z4, Z2")    # v = b2 v + (1-b2) g^2
    st("Z1","(R8)",masked)
    st("Z2","(R9)",masked)
    e("\tVDIVPS Z20, Z1, Z1")         # mhat
    e("\tVDIVPS Z21, Z2, Z2")         # vhat
    e("\tVSQRTPS Z2, Z2")
    e("\tVADDPS Z22, Z2, Z2")
    e("\tVDIVPS Z2, Z1, Z1")          # mhat/(sqrt+eps)
    e("\tVFMADD231PS Z24, Z3, Z1")    # + wd p
    e("\tVFNMADD231PS Z23, Z1, Z3")   # p -= lr*(...)
    st("Z3","(DI)",masked)
loop("aw", ["SI","DI","R8","R9"], b)
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func dotAVX512(x, y *float32, n int) float32")
e("TEXT ·dotAVX512(SB), NOSPLIT, $0-28")
e("\tMOVQ x+0(FP), SI")
e("\tMOVQ y+8(FP), DI")
e("\tMOVQ n+16(FP), CX")
e("\tVPXORD Z8, Z8, Z8")
def b(masked):
    ld("(SI)","Z0",masked)
    ld("(DI)","Z1",masked)
    e("\tVFMADD231PS Z1, Z0, Z8")
loop("dt", ["SI","DI"], b)
hsum("Z8","Y8","X8","Y9","X9")
e("\tMOVSS X8, ret+24(FP)")
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func sumAVX512(x *float32, n int) float32")
e("TEXT ·sumAVX512(SB), NOSPLIT, $0-20")
e("\tMOVQ x+0(FP), SI")
e("\tMOVQ n+8(FP), CX")
e("\tVPXORD Z8, Z8, Z8")
def b(masked):
    ld("(SI)","Z0",masked)
    e("\tVADDPS Z0, Z8, Z8")
loop("sm", ["SI"], b)
hsum("Z8","Y8","X8","Y9","X9")
e("\tMOVSS X8, ret+16(FP)")
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func axpyAVX512(a float32, x, y *float32, n int)")
e("TEXT ·axpyAVX512(SB), NOSPLIT, $0-32")
e("\tVBROADCASTSS a+0(FP), Z7")
e("\tMOVQ x+8(FP), SI")
e("\tMOVQ y+16(FP), DI")
e("\tMOVQ n+24(FP), CX")
def b(masked):
    ld("(SI)","Z0",masked)
    ld("(DI)","Z1",masked)
    e("\tVFMADD231PS Z7, Z0, Z1")
    st("Z1","(DI)",masked)
loop("ax", ["SI","DI"], b)
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func scaleAVX512(a float32, x *float32, n int)")
e("TEXT ·scaleAVX512(SB), NOSPLIT, $0-24")
e("\tVBROADCASTSS a+0(FP), Z7")
e("\tMOVQ x+8(FP), SI")
e("\tMOVQ n+16(FP), CX")
def b(masked):
    ld("(SI)","Z0",masked)
    e("\tVMULPS Z7, Z0, Z0")
    st("Z0","(SI)",masked)
loop("sc", ["SI"], b)
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func sumSqDiffAVX512(x *float32, n int, m float32) float32")
e("TEXT ·sumSqDiffAVX512(SB), NOSPLIT, $0-28")
e("\tMOVQ x+0(FP), SI")
e("\tMOVQ n+8(FP), CX")
e("\tVBROADCASTSS m+16(FP), Z7")
e("\tVPXORD Z8, Z8, Z8")
def b(masked):
    ld("(SI)","Z0",masked)
    e("\tVSUBPS Z7, Z0, Z0")
    if masked:
        e("\tVMOVAPS.Z Z0, K1, Z0")
    e("\tVFMADD231PS Z0, Z0, Z8")
loop("ssd", ["SI"], b)
hsum("Z8","Y8","X8","Y9","X9")
e("\tMOVSS X8, ret+24(FP)")
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func normAffineAVX512(out, x, w, b *float32, n int, m, s float32)")
e("TEXT ·normAffineAVX512(SB), NOSPLIT, $0-48")
e("\tMOVQ out+0(FP), DI")
e("\tMOVQ x+8(FP), SI")
e("\tMOVQ w+16(FP), R8")
e("\tMOVQ b+24(FP), R9")
e("\tMOVQ n+32(FP), CX")
e("\tVBROADCASTSS m+40(FP), Z6")
e("\tVBROADCASTSS s+44(FP), Z7")
def b(masked):
    ld("(SI)","Z0",masked)
    ld("(R8)","Z1",masked)
    ld("(R9)","Z2",masked)
    e("\tVSUBPS Z6, Z0, Z0")
    e("\tVMULPS Z7, Z0, Z0")
    e("\tVFMADD213PS Z2, Z1, Z0")   # Z0 = Z0*w + b
    st("Z0","(DI)",masked)
loop("na", ["SI","DI","R8","R9"], b)
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func lnBackRowAVX512(dinp, dout, x, w *float32, n int, m, s float32)")
e("//")
e("// llm.c's layernorm_backward for one row's input gradient.")
e("TEXT ·lnBackRowAVX512(SB), NOSPLIT, $0-48")
e("\tMOVQ dout+8(FP), DX")
e("\tMOVQ x+16(FP), SI")
e("\tMOVQ w+24(FP), R8")
e("\tMOVQ n+32(FP), CX")
e("\tVBROADCASTSS m+40(FP), Z6")
e("\tVBROADCASTSS s+44(FP), Z7")
e("\tVPXORD Z8, Z8, Z8")   # dm
e("\tVPXORD Z10, Z10, Z10") # dnm
def b(masked):
    ld("(SI)","Z0",masked)
    ld("(R8)","Z1",masked)
    ld("(DX)","Z2",masked)
    e("\tVSUBPS Z6, Z0, Z0")
    e("\tVMULPS Z7, Z0, Z0")      # norm
    e("\tVMULPS Z2, Z1, Z1")      # dnorm = w*dout
    e("\tVADDPS Z1, Z8, Z8")
    e("\tVFMADD231PS Z1, Z0, Z10")
loop("lb1", ["SI","R8","DX"], b)
hsum("Z8","Y8","X8","Y9","X9")
hsum("Z10","Y10","X10","Y11","X11")
e("\tCVTSQ2SS n+32(FP), X12")
e("\tDIVSS X12, X8")
e("\tDIVSS X12, X10")
e("\tVBROADCASTSS X8, Z8")
e("\tVBROADCASTSS X10, Z10")
e("\tMOVQ dinp+0(FP), DI")
e("\tMOVQ dout+8(FP), DX")
e("\tMOVQ x+16(FP), SI")
e("\tMOVQ w+24(FP), R8")
e("\tMOVQ n+32(FP), CX")
def b(masked):
    ld("(SI)","Z0",masked)
    ld("(R8)","Z1",masked)
    ld("(DX)","Z2",masked)
    ld("(DI)","Z3",masked)
    e("\tVSUBPS Z6, Z0, Z0")
    e("\tVMULPS Z7, Z0, Z0")      # norm
    e("\tVMULPS Z2, Z1, Z1")      # dnorm
    e("\tVSUBPS Z8, Z1, Z1")      # - dm
    e("\tVFNMADD231PS Z10, Z0, Z1") # - norm*dnm
    e("\tVFMADD231PS Z7, Z1, Z3")   # dinp += (..)*s
    st("Z3","(DI)",masked)
loop("lb2", ["SI","R8","DX","DI"], b)
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func lnBackParamRowsAVX512(dw, db, x, dout, mean, rstd *float32, rows, n, ld int)")
e("//")
e("// For r < rows in order: db += dout[r]; dw += (x[r]-mean[r])*rstd[r]*dout[r],")
e("// over n columns of rows ld apart.")
e("TEXT ·lnBackParamRowsAVX512(SB), NOSPLIT, $0-72")
e("\tMOVQ x+16(FP), R10")
e("\tMOVQ dout+24(FP), R11")
e("\tMOVQ mean+32(FP), R12")
e("\tMOVQ rstd+40(FP), R13")
e("\tMOVQ rows+48(FP), BX")
e("\tMOVQ ld+64(FP), R14")
e("\tSHLQ $2, R14")
e("lprow:")
e("\tVBROADCASTSS (R12), Z6")
e("\tVBROADCASTSS (R13), Z7")
e("\tMOVQ dw+0(FP), DI")
e("\tMOVQ db+8(FP), R9")
e("\tMOVQ R10, SI")
e("\tMOVQ R11, DX")
e("\tMOVQ n+56(FP), CX")
def b(masked):
    ld("(SI)","Z0",masked)
    ld("(DX)","Z2",masked)
    ld("(DI)","Z3",masked)
    ld("(R9)","Z4",masked)
    e("\tVSUBPS Z6, Z0, Z0")
    e("\tVMULPS Z7, Z0, Z0")
    e("\tVADDPS Z2, Z4, Z4")
    e("\tVFMADD231PS Z2, Z0, Z3")
    st("Z3","(DI)",masked)
    st("Z4","(R9)",masked)
loop("lpr", ["SI","DX","DI","R9"], b)
e("\tADDQ R14, R10")
e("\tADDQ R14, R11")
e("\tADDQ $4, R12")
e("\tADDQ $4, R13")
e("\tDECQ BX")
e("\tJNZ lprow")
e("\tVZEROUPPER")
e("\tRET")
e("")

e("// func softmaxBackAVX512(d, p *float32, n int, dd float32)")
e("//")
e("// d[i] = p[i] * (d[i] - dd)")
e("TEXT ·softmaxBackAVX512(SB), NOSPLIT, $0-28")
e("\tMOVQ d+0(FP), DI")
e("\tMOVQ p+8(FP), SI")
e("\tMOVQ n+16(FP), CX")
e("\tVBROADCASTSS dd+24(FP), Z7")
def b(masked):
    ld("(DI)","Z0",masked)
    ld("(SI)","Z1",masked)
    e("\tVSUBPS Z7, Z0, Z0")
    e("\tVMULPS Z1, Z0, Z0")
    st("Z0","(DI)",masked)
loop("sb", ["SI","DI"], b)
e("\tVZEROUPPER")
e("\tRET")
e("")
asm.write("vector_amd64.s")
