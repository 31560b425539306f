//! Which block reads fetch a device's registers: neighbours are coalesced into one request, reading
//! through small gaps when that costs less than another request.

/// One read request: `count` registers from `start`, covering the listed registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub start: u16,
    pub count: u16,
    /// Indices of the registers (in the list given to [`plan_blocks`]) this block covers.
    pub members: Vec<usize>,
}

/// The most registers one Modbus read may return.
pub const MAX_BLOCK_REGISTERS: u16 = 125;

/// What one more request costs on an RTU line besides the data it returns, in characters: 8 of
/// request, 5 of reply framing (unit, function, byte count, CRC) and the two 3.5-character
/// silences before request and reply.
pub const REQUEST_FRAMING_CHARACTERS: u32 = 20;

/// The master's own turnaround, in characters: the line stands idle this long between a reply
/// and the next request (timer granularity, task wake-ups). The scheduler benchmark measured
/// 2.85 ms per request at 19 200 baud (0.573 ms a character) on a loaded 2-core machine. A USB
/// adapter's latency, or a device that answers later than 3.5 characters, only adds to the cost
/// of a request, so this is the low end: on a real bus, reading through the holes up to the
/// break-even below always pays off, and wider ones may too.
pub const MASTER_TURNAROUND_CHARACTERS: u32 = 5;

/// The widest hole (unused registers) worth reading through rather than starting another
/// request: a hole of n registers costs 2n characters of reply, another request its framing
/// and the master's turnaround.
pub const fn break_even_gap(turnaround_characters: u32) -> u16 {
    ((REQUEST_FRAMING_CHARACTERS + turnaround_characters) / 2) as u16
}

/// The gap read through on RS485: 12 registers, since 2 × 12 = 24 characters ≤ 20 + 5 < 2 × 13.
pub const DEFAULT_MAX_GAP: u16 = break_even_gap(MASTER_TURNAROUND_CHARACTERS);

/// The most coils or discrete inputs one Modbus read may return.
pub const MAX_BLOCK_BITS: u16 = 2000;

/// Coils and discrete inputs travel eight to a byte, sixteen to a register's two: reading through
/// 16 × n unused bits costs what reading through n unused registers does.
pub const DEFAULT_MAX_BIT_GAP: u16 = 16 * DEFAULT_MAX_GAP;

/// Plans block reads for registers given as `(address, words)`.
pub fn plan_blocks(registers: &[(u16, u16)], max_gap: u16) -> Vec<Block> {
    plan_blocks_up_to(registers, max_gap, MAX_BLOCK_REGISTERS)
}

/// Plans block reads of at most `max_count` items (registers, or bits for coils and discrete
/// inputs) for items given as `(address, count)`.
pub fn plan_blocks_up_to(registers: &[(u16, u16)], max_gap: u16, max_count: u16) -> Vec<Block> {
    let mut order: Vec<usize> = (0..registers.len()).collect();
    order.sort_by_key(|&index| registers[index].0);
    let mut blocks: Vec<Block> = Vec::new();
    for index in order {
        let (address, words) = registers[index];
        let end = u32::from(address) + u32::from(words);
        if let Some(block) = blocks.last_mut() {
            let block_end = u32::from(block.start) + u32::from(block.count);
            let gap = u32::from(address).saturating_sub(block_end);
            let new_count = end.max(block_end) - u32::from(block.start);
            if gap <= u32::from(max_gap) && new_count <= u32::from(max_count) {
                block.count = new_count as u16;
                block.members.push(index);
                continue;
            }
        }
        blocks.push(Block {
            start: address,
            count: words,
            members: vec![index],
        });
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_share_one_request() {
        let blocks = plan_blocks(&[(0, 2), (2, 2), (4, 2)], DEFAULT_MAX_GAP);
        assert_eq!(
            blocks,
            vec![Block {
                start: 0,
                count: 6,
                members: vec![0, 1, 2]
            }]
        );
    }

    #[test]
    fn small_gaps_are_read_through_and_large_ones_split() {
        let blocks = plan_blocks(&[(0, 2), (10, 2), (100, 2)], 8);
        assert_eq!(blocks.len(), 2);
        assert_eq!((blocks[0].start, blocks[0].count), (0, 12));
        assert_eq!((blocks[1].start, blocks[1].count), (100, 2));
    }

    #[test]
    fn holes_are_read_through_up_to_the_break_even() {
        // Reading through the widest hole costs no more than another request; one more
        // register would.
        let cost_of_a_request = REQUEST_FRAMING_CHARACTERS + MASTER_TURNAROUND_CHARACTERS;
        assert!(2 * u32::from(DEFAULT_MAX_GAP) <= cost_of_a_request);
        assert!(2 * (u32::from(DEFAULT_MAX_GAP) + 1) > cost_of_a_request);
        assert_eq!(DEFAULT_MAX_GAP, 12);
        // A 12-register hole (2 to 14) is read through, a 13-register one (16 to 29) is not.
        let blocks = plan_blocks(&[(0, 2), (14, 2), (29, 2)], DEFAULT_MAX_GAP);
        assert_eq!(blocks.len(), 2);
        assert_eq!((blocks[0].start, blocks[0].count), (0, 16));
        assert_eq!((blocks[1].start, blocks[1].count), (29, 2));
        // A slower master makes wider holes worth reading.
        assert_eq!(break_even_gap(16), 18);
    }

    #[test]
    fn blocks_never_exceed_the_protocol_limit() {
        let registers: Vec<(u16, u16)> = (0..100).map(|i| (i * 2, 2)).collect();
        let blocks = plan_blocks(&registers, 8);
        assert!(blocks.iter().all(|b| b.count <= MAX_BLOCK_REGISTERS));
        let covered: usize = blocks.iter().map(|b| b.members.len()).sum();
        assert_eq!(covered, 100);
        assert_eq!(blocks.len(), 2);
    }

    #[test]
    fn unsorted_input_is_planned_by_address() {
        let blocks = plan_blocks(&[(0x48, 2), (0, 2), (2, 2)], 8);
        assert_eq!(blocks[0].members, vec![1, 2]);
        assert_eq!(blocks[1].members, vec![0]);
    }

    #[test]
    fn bit_blocks_coalesce_up_to_two_thousand_bits() {
        let bits: Vec<(u16, u16)> = (0..2500).map(|i| (i, 1)).collect();
        let blocks = plan_blocks_up_to(&bits, DEFAULT_MAX_BIT_GAP, MAX_BLOCK_BITS);
        assert_eq!(blocks.len(), 2);
        assert_eq!((blocks[0].start, blocks[0].count), (0, 2000));
        assert_eq!((blocks[1].start, blocks[1].count), (2000, 500));
        // Bits 0-3 and 100 share one read; 300 is too far (a hole of 199 bits).
        let blocks = plan_blocks_up_to(
            &[(0, 1), (3, 1), (100, 1), (300, 1)],
            DEFAULT_MAX_BIT_GAP,
            MAX_BLOCK_BITS,
        );
        assert_eq!(blocks.len(), 2);
        assert_eq!((blocks[0].start, blocks[0].count), (0, 101));
    }

    #[test]
    fn a_value_at_the_end_of_the_address_space_fits() {
        let blocks = plan_blocks(&[(0xFFFE, 2)], 8);
        assert_eq!((blocks[0].start, blocks[0].count), (0xFFFE, 2));
    }
}
