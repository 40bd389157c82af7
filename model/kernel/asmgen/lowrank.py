"""Generates the AVX-512 rank-8 kernels of the low-rank products
(lowrank_amd64.s). Run from model/kernel: python3 asmgen/lowrank.py

Each kernel takes eight rows of the small factor, d floats apart, addressed
from one base register with index registers holding 1, 3, 5 and 7 row
strides. Tails use masked loads and stores, so every element goes through
the same instructions wherever it sits in a row.
"""
from asmfile import AsmFile

asm = AsmFile("lowrank.py")
e, L = asm.e, asm.label

def rows(base, stride):
    """Sets R9, R10, R11 to 3, 5, 7 times stride (bytes) and returns the
    eight row addresses from base."""
    e(f"\tLEAQ ({stride})({stride}*2), R9")
    e(f"\tLEAQ ({stride})({stride}*4), R10")
    e(f"\tLEAQ (R9)({stride}*4), R11")
    return [f"({base})", f"({base})({stride}*1)", f"({base})({stride}*2)", f"({base})(R9*1)",
            f"({base})({stride}*4)", f"({base})(R10*1)", f"({base})(R9*2)", f"({base})(R11*1)"]

def off(addr, o):
    return f"{o}{addr}" if o else addr

def tailmask(n):
    """K1 = the low n bits (n < 16, in a register)."""
    e("\tMOVL $1, AX")
    e(f"\tSHLL {n}, AX")
    e("\tDECL AX")
    e("\tKMOVW AX, K1")

def hsum8():
    """Sums each of Z8..Z15 across its lanes into X8 (sums 0-3) and X12
    (4-7): halve each accumulator to 8 lanes, then 4, then add pairs across
    accumulators, an order fixed whatever d is. Uses Y0 as scratch."""
    for j in range(8):
        e(f"\tVEXTRACTF32X8 $1, Z{8+j}, Y0")
        e(f"\tVADDPS Y0, Y{8+j}, Y{8+j}")
        e(f"\tVEXTRACTF128 $1, Y{8+j}, X0")
        e(f"\tVADDPS X0, X{8+j}, X{8+j}")
    for g in (0, 4):
        a, b, c, dd = (8 + g + i for i in range(4))
        e(f"\tVHADDPS X{b}, X{a}, X{a}")
        e(f"\tVHADDPS X{dd}, X{c}, X{c}")
        e(f"\tVHADDPS X{c}, X{a}, X{a}")

# down: h[j] = alpha * dot(x, w[j]) for j < 8.
e("// func lowRankDownAVX512(x, w, h *float32, d int, alpha float32)")
e("TEXT ·lowRankDownAVX512(SB), NOSPLIT, $0-36")
e("\tMOVQ x+0(FP), DI")
e("\tMOVQ w+8(FP), SI")
e("\tMOVQ h+16(FP), DX")
e("\tMOVQ d+24(FP), CX")
e("\tLEAQ 0(CX*4), BX")
w = rows("SI", "BX")
for j in range(8):
    e(f"\tVPXORD Z{8+j}, Z{8+j}, Z{8+j}")
lp, tail, red = L("dloop"), L("dtail"), L("dred")
e(f"{lp}:")
e("\tCMPQ CX, $16")
e(f"\tJLT {tail}")
e("\tVMOVUPS (DI), Z0")
for j in range(8):
    e(f"\tVFMADD231PS {w[j]}, Z0, Z{8+j}")
e("\tADDQ $64, DI")
e("\tADDQ $64, SI")
e("\tSUBQ $16, CX")
e(f"\tJMP {lp}")
e(f"{tail}:")
e("\tTESTQ CX, CX")
e(f"\tJZ {red}")
tailmask("CX")
e("\tVMOVUPS.Z (DI), K1, Z0")
for j in range(8):
    e(f"\tVFMADD231PS {w[j]}, Z0, K1, Z{8+j}")
e(f"{red}:")
hsum8()
e("\tVBROADCASTSS alpha+32(FP), X0")
e("\tVMULPS X0, X8, X8")
e("\tVMULPS X0, X12, X12")
e("\tVMOVUPS X8, (DX)")
e("\tVMOVUPS X12, 16(DX)")
e("\tVZEROUPPER")
e("\tRET")
e("")

# up: y += sum_j h[j] * u[j], j in order, eight vectors of y at a time so
# that eight chains hide the FMA latency.
e("// func lowRankUpAVX512(y, h, u *float32, d int)")
e("TEXT ·lowRankUpAVX512(SB), NOSPLIT, $0-32")
e("\tMOVQ y+0(FP), DI")
e("\tMOVQ h+8(FP), DX")
e("\tMOVQ u+16(FP), SI")
e("\tMOVQ d+24(FP), CX")
e("\tLEAQ 0(CX*4), BX")
u = rows("SI", "BX")
for j in range(8):
    e(f"\tVBROADCASTSS {4*j}(DX), Z{16+j}")
big, small, tail, end = L("ubig"), L("usmall"), L("utail"), L("uend")
e(f"{big}:")
e("\tCMPQ CX, $128")
e(f"\tJLT {small}")
for c in range(8):
    e(f"\tVMOVUPS {64*c}(DI), Z{c}")
for j in range(8):
    for c in range(8):
        e(f"\tVFMADD231PS {off(u[j], 64*c)}, Z{16+j}, Z{c}")
for c in range(8):
    e(f"\tVMOVUPS Z{c}, {64*c}(DI)")
e("\tADDQ $512, DI")
e("\tADDQ $512, SI")
e("\tSUBQ $128, CX")
e(f"\tJMP {big}")
e(f"{small}:")
e("\tCMPQ CX, $16")
e(f"\tJLT {tail}")
e("\tVMOVUPS (DI), Z0")
for j in range(8):
    e(f"\tVFMADD231PS {u[j]}, Z{16+j}, Z0")
e("\tVMOVUPS Z0, (DI)")
e("\tADDQ $64, DI")
e("\tADDQ $64, SI")
e("\tSUBQ $16, CX")
e(f"\tJMP {small}")
e(f"{tail}:")
e("\tTESTQ CX, CX")
e(f"\tJZ {end}")
tailmask("CX")
e("\tVMOVUPS.Z (DI), K1, Z0")
for j in range(8):
    e(f"\tVFMADD231PS {u[j]}, Z{16+j}, K1, Z0")
e("\tVMOVUPS Z0, K1, (DI)")
e(f"{end}:")
e("\tVZEROUPPER")
e("\tRET")
e("")

# down3: down for three consecutive rows of x (d floats apart) at once, so
# that each vector of w, loaded once, feeds three rows; each row's sums go
# through the same instructions as in lowRankDownAVX512, so the results are
# the same bits. h rows are hs floats apart.
e("// func lowRankDown3AVX512(x, w, h *float32, d int, alpha float32, hs int)")
e("TEXT ·lowRankDown3AVX512(SB), NOSPLIT, $0-48")
e("\tMOVQ x+0(FP), DI")
e("\tMOVQ w+8(FP), SI")
e("\tMOVQ h+16(FP), DX")
e("\tMOVQ d+24(FP), CX")
e("\tMOVQ hs+40(FP), R8")
e("\tSHLQ $2, R8")
e("\tLEAQ 0(CX*4), BX")
w = rows("SI", "BX")
xr = ["(DI)", "(DI)(BX*1)", "(DI)(BX*2)"]
for q in range(3):
    for j in range(8):
        r_ = 8 + 8 * q + j
        e(f"\tVPXORD Z{r_}, Z{r_}, Z{r_}")
lp, tail, red = L("d3loop"), L("d3tail"), L("d3red")
e(f"{lp}:")
e("\tCMPQ CX, $16")
e(f"\tJLT {tail}")
for q in range(3):
    e(f"\tVMOVUPS {xr[q]}, Z{q}")
for j in range(8):
    e(f"\tVMOVUPS {w[j]}, Z3")
    for q in range(3):
        e(f"\tVFMADD231PS Z3, Z{q}, Z{8 + 8 * q + j}")
e("\tADDQ $64, DI")
e("\tADDQ $64, SI")
e("\tSUBQ $16, CX")
e(f"\tJMP {lp}")
e(f"{tail}:")
e("\tTESTQ CX, CX")
e(f"\tJZ {red}")
tailmask("CX")
for q in range(3):
    e(f"\tVMOVUPS.Z {xr[q]}, K1, Z{q}")
for j in range(8):
    e(f"\tVMOVUPS.Z {w[j]}, K1, Z3")
    for q in range(3):
        e(f"\tVFMADD231PS Z3, Z{q}, K1, Z{8 + 8 * q + j}")
e(f"{red}:")
e("\tVBROADCASTSS alpha+32(FP), X1")
for q in range(3):
    if q > 0:
        # VHADDPS has no EVEX form: bring the row's sums to Z8..Z15.
        for j in range(8):
            e(f"\tVMOVAPS Z{8 + 8 * q + j}, Z{8 + j}")
    hsum8()
    e("\tVMULPS X1, X8, X8")
    e("\tVMULPS X1, X12, X12")
    e("\tVMOVUPS X8, (DX)")
    e("\tVMOVUPS X12, 16(DX)")
    e("\tADDQ R8, DX")
e("\tVZEROUPPER")
e("\tRET")
e("")

# up3: up for three consecutive rows of y (d floats apart) at once, two
# vectors of each, so that each vector of u, loaded once, feeds three rows;
# every element takes the same FMAs in the same order as in lowRankUpAVX512.
# h rows are hs floats apart.
e("// func lowRankUp3AVX512(y, h, u *float32, d int, hs int)")
e("TEXT ·lowRankUp3AVX512(SB), NOSPLIT, $0-40")
e("\tMOVQ y+0(FP), DI")
e("\tMOVQ h+8(FP), DX")
e("\tMOVQ u+16(FP), SI")
e("\tMOVQ d+24(FP), CX")
e("\tMOVQ hs+32(FP), R8")
e("\tSHLQ $2, R8")
e("\tLEAQ 0(CX*4), BX")
u = rows("SI", "BX")
yr = ["(DI)", "(DI)(BX*1)", "(DI)(BX*2)"]
for q in range(3):
    for j in range(8):
        e(f"\tVBROADCASTSS {4*j}(DX), Z{8 + 8 * q + j}")
    e("\tADDQ R8, DX")
big, small, tail, end = L("u3big"), L("u3small"), L("u3tail"), L("u3end")
e(f"{big}:")
e("\tCMPQ CX, $32")
e(f"\tJLT {small}")
for q in range(3):
    for c in range(2):
        e(f"\tVMOVUPS {off(yr[q], 64*c)}, Z{2*q+c}")
for j in range(8):
    for c in range(2):
        e(f"\tVMOVUPS {off(u[j], 64*c)}, Z{6+c}")
    for q in range(3):
        for c in range(2):
            e(f"\tVFMADD231PS Z{6+c}, Z{8 + 8 * q + j}, Z{2*q+c}")
for q in range(3):
    for c in range(2):
        e(f"\tVMOVUPS Z{2*q+c}, {off(yr[q], 64*c)}")
e("\tADDQ $128, DI")
e("\tADDQ $128, SI")
e("\tSUBQ $32, CX")
e(f"\tJMP {big}")
e(f"{small}:")
e("\tCMPQ CX, $16")
e(f"\tJLT {tail}")
for q in range(3):
    e(f"\tVMOVUPS {yr[q]}, Z{q}")
for j in range(8):
    e(f"\tVMOVUPS {u[j]}, Z6")
    for q in range(3):
        e(f"\tVFMADD231PS Z6, Z{8 + 8 * q + j}, Z{q}")
for q in range(3):
    e(f"\tVMOVUPS Z{q}, {yr[q]}")
e("\tADDQ $64, DI")
e("\tADDQ $64, SI")
e("\tSUBQ $16, CX")
e(f"\tJMP {small}")
e(f"{tail}:")
e("\tTESTQ CX, CX")
e(f"\tJZ {end}")
tailmask("CX")
for q in range(3):
    e(f"\tVMOVUPS.Z {yr[q]}, K1, Z{q}")
for j in range(8):
    e(f"\tVMOVUPS.Z {u[j]}, K1, Z6")
    for q in range(3):
        e(f"\tVFMADD231PS Z6, Z{8 + 8 * q + j}, K1, Z{q}")
for q in range(3):
    e(f"\tVMOVUPS Z{q}, K1, {yr[q]}")
e(f"{end}:")
e("\tVZEROUPPER")
e("\tRET")
e("")

# grad: dst[j, 0:cols] += sum_n h[n*hs + j] * x[n*ld + 0:cols], n in order,
# j < 8, n < rows: for each 16-column chunk the 8 sums stay in registers
# while the rows stream past, so x is read in rows-many sequential streams.
e("// func lowRankGradAVX512(dst, h, x *float32, rows, cols, ld, hs int)")
e("TEXT ·lowRankGradAVX512(SB), NOSPLIT, $0-56")
e("\tMOVQ dst+0(FP), DI")
e("\tMOVQ h+8(FP), DX")
e("\tMOVQ x+16(FP), SI")
e("\tMOVQ cols+32(FP), CX")
e("\tMOVQ ld+40(FP), BX")
e("\tSHLQ $2, BX")
e("\tMOVQ hs+48(FP), R8")
e("\tSHLQ $2, R8")
gr = rows("DI", "BX")
chunk, body, rowlp, rowend, tail, end = L("gchunk"), L("gbody"), L("grow"), L("growend"), L("gtail"), L("gend")
e("\tMOVL $0xffff, AX")
e("\tKMOVW AX, K1")
e(f"{chunk}:")
e("\tCMPQ CX, $16")
e(f"\tJGE {body}")
e("\tTESTQ CX, CX")
e(f"\tJZ {end}")
tailmask("CX")
e("\tMOVQ $16, CX") # the masked chunk is the last
e(f"{body}:")
for j in range(8):
    e(f"\tVMOVUPS.Z {gr[j]}, K1, Z{j}")
e("\tMOVQ rows+24(FP), R12")
e("\tMOVQ SI, R13")
e("\tMOVQ DX, AX")
e("\tTESTQ R12, R12")
e(f"\tJZ {rowend}")
e(f"{rowlp}:")
e("\tVMOVUPS.Z (R13), K1, Z16")
for j in range(8):
    e(f"\tVFMADD231PS.BCST {4*j}(AX), Z16, Z{j}")
e("\tADDQ BX, R13")
e("\tADDQ R8, AX")
e("\tDECQ R12")
e(f"\tJNZ {rowlp}")
e(f"{rowend}:")
for j in range(8):
    e(f"\tVMOVUPS Z{j}, K1, {gr[j]}")
e("\tADDQ $64, DI")
e("\tADDQ $64, SI")
e("\tSUBQ $16, CX")
e(f"\tJMP {chunk}")
e(f"{end}:")
e("\tVZEROUPPER")
e("\tRET")

asm.write("lowrank_amd64.s")
