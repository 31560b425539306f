#!/usr/bin/env python3
"""Two energy meters served over Modbus TCP by pymodbus 3.16.1, an implementation independent of ours.

Unit 1 plays an Eastron SDM630 (input registers, IEEE-754 float32, high word first).
Unit 2 plays a Carlo Gavazzi EM24 "E1" (input registers, INT32 low word first with fixed divisors,
INT16 power factor /1000, UINT16 frequency /10).

The register images are encoded here with `struct`, from the meters' documented maps
(shared/test-vectors/modbus_maps.md), not from the gateway's catalog or code. The expected values
are repeated in backend/tests/interop_pymodbus.rs: keep both in step.

Usage: pymodbus_meter.py PORT   (0 picks a free port)
Prints `READY <port>` once listening; exits when stdin closes or on SIGTERM/SIGINT.
"""

import asyncio
import logging
import os
import signal
import struct
import sys

import pymodbus
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

PYMODBUS_VERSION = "3.16.1"

# Registers 0..BLOCK_SIZE-1 of each unit are defined; the ones no quantity uses read as zero.
# 0x200 covers the SDM630's whole documented input map (per-phase energies end at 0x0177), which
# the gateway reads since the catalog declares it.
BLOCK_SIZE = 0x200

# Eastron SDM630, unit 1: PDU address -> value, float32.
SDM630 = {
    0x0000: 231.5,  # V L1
    0x0002: 229.25,  # V L2
    0x0004: 232.75,  # V L3
    0x0006: 4.25,  # I L1
    0x0008: 1.5,  # I L2
    0x000A: 0.125,  # I L3
    0x000C: 980.5,  # P L1
    0x000E: 269.25,  # P L2
    0x0010: -15.25,  # P L3 (exporting)
    0x0034: 1234.5,  # P total
    0x003E: 0.96875,  # PF total
    0x0046: 49.98,  # Hz
    0x0048: 12345.678,  # import, kWh
    0x004A: 12.5,  # export, kWh
}

# Carlo Gavazzi EM24, unit 2: PDU address -> raw integer (the divisor is the meter's).
EM24_I32 = {
    0x0000: 2301,  # V L1, /10
    0x0002: 2295,  # V L2, /10
    0x0004: 2318,  # V L3, /10
    0x000C: 5432,  # I L1, /1000
    0x000E: 1250,  # I L2, /1000
    0x0010: 75,  # I L3, /1000
    0x0012: -5000,  # P L1, /10 (exporting: checks the sign across swapped words)
    0x0028: 12345,  # P total, /10
    0x0034: 123457,  # import, /10 kWh
    0x004E: 70000,  # export, /10 kWh (above 65535: checks the high word)
}
EM24_I16 = {0x0031: 950}  # PF, /1000
EM24_U16 = {0x0033: 500}  # Hz, /10


def sdm630_registers():
    regs = [0] * BLOCK_SIZE
    for address, value in SDM630.items():
        high, low = struct.unpack(">HH", struct.pack(">f", value))
        regs[address], regs[address + 1] = high, low
    return regs


def em24_registers():
    regs = [0] * BLOCK_SIZE
    for address, value in EM24_I32.items():
        high, low = struct.unpack(">HH", struct.pack(">i", value))
        regs[address], regs[address + 1] = low, high  # low word first
    for address, value in EM24_I16.items():
        (regs[address],) = struct.unpack(">H", struct.pack(">h", value))
    for address, value in EM24_U16.items():
        (regs[address],) = struct.unpack(">H", struct.pack(">H", value))
    return regs


def device(unit, input_registers):
    # Separate blocks: (coils, discrete inputs, holding registers, input registers). The meters
    # answer function 4 from `input_registers`; holding registers are a small zero block.
    return SimDevice(
        id=unit,
        simdata=(
            [SimData(0, count=16, values=False, datatype=DataType.BITS)],
            [SimData(0, count=16, values=False, datatype=DataType.BITS)],
            [SimData(0, count=16, values=0, datatype=DataType.REGISTERS)],
            [SimData(0, values=input_registers, datatype=DataType.REGISTERS)],
        ),
    )


async def main(port):
    if pymodbus.__version__ != PYMODBUS_VERSION:
        print(
            f"pymodbus {pymodbus.__version__} found, {PYMODBUS_VERSION} expected",
            file=sys.stderr,
        )
        return 2
    server = ModbusTcpServer(
        [device(1, sdm630_registers()), device(2, em24_registers())],
        address=("127.0.0.1", port),
    )
    await server.serve_forever(background=True)
    bound = server.transport.sockets[0].getsockname()[1]

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # Stdin closing (the test process going away) also stops the meter.
    loop.run_in_executor(None, lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)))

    print(f"READY {bound}", flush=True)
    await stop.wait()
    await server.shutdown()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pymodbus_meter.py PORT")
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    code = asyncio.run(main(int(sys.argv[1])))
    # The stdin reader thread may still block in read(): leave without joining it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
