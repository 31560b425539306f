//! The demo site's I/O module seen by an independent Modbus client (tokio-modbus' RTU client on
//! the pseudo-terminal): inputs and relays read as bits, relays follow coil writes, the relays'
//! configuration registers follow register writes, and a meter refuses writes.

use std::path::PathBuf;
use std::time::Duration;

use shared::Catalog;
use simulator::{DemoSite, DemoSiteOptions, IO_MODULE_UNIT, start_demo_site};
use tokio_modbus::client::{Context, rtu};
use tokio_modbus::prelude::{ExceptionCode, Reader, Slave, Writer};
use tokio_serial::{ClearBuffer, SerialPort, SerialPortBuilderExt};

const PATIENCE: Duration = Duration::from_secs(10);

fn catalog_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog")
}

async fn site() -> DemoSite {
    let catalog = Catalog::load_dir(&catalog_dir()).unwrap();
    start_demo_site(DemoSiteOptions {
        tick: Duration::from_millis(100),
        ..DemoSiteOptions::new(catalog)
    })
    .await
    .unwrap()
}

fn client(site: &DemoSite, unit: u8) -> Context {
    let port = tokio_serial::new(site.serial_path.to_string_lossy(), 19_200)
        .data_bits(tokio_serial::DataBits::Eight)
        .parity(tokio_serial::Parity::None)
        .stop_bits(tokio_serial::StopBits::One)
        .open_native_async()
        .unwrap();
    port.clear(ClearBuffer::All).unwrap();
    rtu::attach_slave(port, Slave(unit))
}

/// `future` within the patience allowed, or a panic saying so.
async fn within<T>(future: impl std::future::Future<Output = T>) -> Result<T, ()> {
    tokio::time::timeout(PATIENCE, future).await.map_err(|_| ())
}

#[tokio::test]
async fn relays_follow_writes_and_read_back() {
    let site = site().await;
    let mut io = client(&site, IO_MODULE_UNIT);

    // Both relays released at the start; relay 2 is configured normally closed.
    let coils = within(io.read_coils(0, 2)).await.unwrap().unwrap().unwrap();
    assert_eq!(coils, vec![false, false]);
    let normal = within(io.read_holding_registers(0x0110, 1))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(normal, vec![1]);

    within(io.write_single_coil(1, true))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let coils = within(io.read_coils(0, 2)).await.unwrap().unwrap().unwrap();
    assert_eq!(coils, vec![false, true]);
    let seen = site
        .rtu_bus
        .device(IO_MODULE_UNIT)
        .map(|device| match device.behaviour {
            simulator::Behaviour::IoModule(module) => module.coil(1),
            _ => None,
        });
    assert_eq!(seen, Some(Some(true)));

    within(io.write_multiple_coils(0, &[true, false]))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let coils = within(io.read_coils(0, 2)).await.unwrap().unwrap().unwrap();
    assert_eq!(coils, vec![true, false]);

    // Configuration: relay 1 to NC with function 6, ON times with function 16.
    within(io.write_single_register(0x0100, 1))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    within(io.write_multiple_registers(0x0101, &[0, 5]))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let config = within(io.read_holding_registers(0x0100, 3))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(config, vec![1, 0, 5]);

    // A coil the module does not have.
    let refused = within(io.write_single_coil(9, true))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refused, Err(ExceptionCode::IllegalDataAddress));

    // Inputs read as discrete inputs; closing one is seen at once.
    assert!(site.rtu_bus.with_io_module(IO_MODULE_UNIT, |module| {
        module.set_input(3, true);
    }));
    let inputs = within(io.read_discrete_inputs(0, 4))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(inputs.len(), 4);
    assert!(inputs[3]);

    // A meter has nothing to write (one client on the line at a time, as the port is exclusive).
    drop(io);
    let mut meter = client(&site, 1);
    let refused = within(meter.write_single_coil(0, true))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refused, Err(ExceptionCode::IllegalFunction));
}
