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

/// On RS485 a request costs about 8 bytes out, 5 bytes of reply framing and two 3.5-character
/// silences, i.e. about as much as 8 extra registers; read through gaps up to that.
pub const DEFAULT_MAX_GAP: u16 = 8;

/// The most coils or discrete inputs one Modbus read may return.
pub const MAX_BLOCK_BITS: u16 = 2000;

/// Coils and discrete inputs travel eight to a byte: reading through 128 unused bits costs what
/// reading through 8 unused registers does.
pub const DEFAULT_MAX_BIT_GAP: u16 = 128;

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
        // Bits 0-3 and 100 share one read; 300 is too far.
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
