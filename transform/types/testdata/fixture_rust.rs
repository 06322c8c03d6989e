//! A tiny Rust "module" for transform/types' DWARF tests.
#![allow(dead_code)]

#[repr(C)]
pub struct Pair {
    pub x: u32,
    pub y: u32,
}

#[repr(u8)]
pub enum Mode {
    Read = 1,
    Write = 2,
}

#[no_mangle]
pub extern "C" fn rust_ffi_sum(p: *const Pair, count: usize) -> isize {
    if p.is_null() {
        return -14;
    }
    unsafe { ((*p).x + (*p).y) as isize + count as isize }
}

#[inline(never)]
pub fn write_handler(count: u64, pair: &Pair, mode: Mode) -> i64 {
    count as i64 + pair.x as i64 + mode as i64
}
