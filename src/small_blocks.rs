//! Free lists in front of the wasm modules' allocator.
//!
//! Every parsed record is a tree of some fifty small heap blocks (map nodes,
//! keys, strings), built and freed again within a few records. Talc finds,
//! splits and merges chunks for each: a V8 profile of the analysis worker
//! put its `allocate` and `deallocate` at 11.6 % of the samples. Small
//! blocks are kept instead on one free list per 16-byte size class, so a
//! block one record frees is the next record's in a load and a store.
//! Blocks on the lists are not given back to the allocator behind them:
//! wasm memory never shrinks anyway, and the next records need them again.
//! (The CLI's mimalloc keeps such lists per thread itself.)

use std::alloc::{GlobalAlloc, Layout};
use std::ptr;

/// Blocks on the lists are multiples of this, and aligned to it.
const GRANULE: usize = 16;
/// Sizes up to `CLASSES × GRANULE` (512 bytes, so that the B-tree nodes of
/// a parsed JSON object, about 410 and 460 bytes on wasm32, are among them)
/// are kept on lists.
const CLASSES: usize = 32;
/// The largest size kept on a list.
const LARGEST: usize = CLASSES * GRANULE;

/// One free list per size class; a free block holds the next one's address.
pub(crate) struct FreeLists {
    heads: [*mut u8; CLASSES],
}

impl FreeLists {
    pub(crate) const fn new() -> Self {
        FreeLists {
            heads: [ptr::null_mut(); CLASSES],
        }
    }

    /// The list a layout's blocks go on, if they go on one.
    fn class(layout: Layout) -> Option<usize> {
        (layout.align() <= GRANULE && layout.size() <= LARGEST)
            .then(|| layout.size().max(1).div_ceil(GRANULE) - 1)
    }

    /// What a block of `class` is asked from the allocator behind as.
    fn block(class: usize) -> Layout {
        Layout::from_size_align((class + 1) * GRANULE, GRANULE).expect("a valid block layout")
    }

    /// # Safety
    /// As [`GlobalAlloc::alloc`]; every call on these lists passes the same
    /// `backing`.
    pub(crate) unsafe fn alloc(&mut self, backing: &impl GlobalAlloc, layout: Layout) -> *mut u8 {
        let Some(class) = Self::class(layout) else {
            return unsafe { backing.alloc(layout) };
        };
        let head = self.heads[class];
        if head.is_null() {
            return unsafe { backing.alloc(Self::block(class)) };
        }
        // SAFETY: a block on a list is at least a granule, aligned to one,
        // and its first word holds the next block's address.
        self.heads[class] = unsafe { head.cast::<*mut u8>().read() };
        head
    }

    /// # Safety
    /// As [`GlobalAlloc::alloc_zeroed`], with [`FreeLists::alloc`]'s terms.
    pub(crate) unsafe fn alloc_zeroed(
        &mut self,
        backing: &impl GlobalAlloc,
        layout: Layout,
    ) -> *mut u8 {
        if Self::class(layout).is_none() {
            return unsafe { backing.alloc_zeroed(layout) };
        }
        let block = unsafe { self.alloc(backing, layout) };
        if !block.is_null() {
            unsafe { block.write_bytes(0, layout.size()) };
        }
        block
    }

    /// # Safety
    /// As [`GlobalAlloc::dealloc`], with [`FreeLists::alloc`]'s terms.
    pub(crate) unsafe fn dealloc(
        &mut self,
        backing: &impl GlobalAlloc,
        block: *mut u8,
        layout: Layout,
    ) {
        match Self::class(layout) {
            Some(class) => {
                // SAFETY: the block is `block(class)` large and aligned.
                unsafe { block.cast::<*mut u8>().write(self.heads[class]) };
                self.heads[class] = block;
            }
            None => unsafe { backing.dealloc(block, layout) },
        }
    }

    /// # Safety
    /// As [`GlobalAlloc::realloc`], with [`FreeLists::alloc`]'s terms.
    pub(crate) unsafe fn realloc(
        &mut self,
        backing: &impl GlobalAlloc,
        block: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: the caller's terms make this layout valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (Self::class(layout), Self::class(new_layout)) {
            (None, None) => unsafe { backing.realloc(block, layout, new_size) },
            (Some(old), Some(new)) if old == new => block,
            _ => {
                let moved = unsafe { self.alloc(backing, new_layout) };
                if !moved.is_null() {
                    unsafe {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(backing, block, layout);
                    }
                }
                moved
            }
        }
    }
}

/// The global allocator of the wasm modules: [`FreeLists`] before `A`.
#[cfg(target_arch = "wasm32")]
pub struct SmallBlocks<A> {
    lists: std::cell::UnsafeCell<FreeLists>,
    backing: A,
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!("SmallBlocks assumes one thread per wasm instance; give it a lock first");

#[cfg(target_arch = "wasm32")]
impl<A> SmallBlocks<A> {
    pub const fn new(backing: A) -> Self {
        SmallBlocks {
            lists: std::cell::UnsafeCell::new(FreeLists::new()),
            backing,
        }
    }
}

// SAFETY: without the `atomics` feature a wasm instance runs one thread, so
// the lists are never touched by two at once.
#[cfg(target_arch = "wasm32")]
unsafe impl<A: Sync> Sync for SmallBlocks<A> {}

// SAFETY: every block comes from `backing` and is given back to it or kept
// on the lists; the lists are only touched by the one thread (above).
// Not inlined: at every allocation site of the worker (built for speed)
// the lists cost its module 240 kB, and a call is all talc cost too.
#[cfg(target_arch = "wasm32")]
unsafe impl<A: GlobalAlloc> GlobalAlloc for SmallBlocks<A> {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.lists.get()).alloc(&self.backing, layout) }
    }
    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.lists.get()).alloc_zeroed(&self.backing, layout) }
    }
    #[inline(never)]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        unsafe { (*self.lists.get()).dealloc(&self.backing, block, layout) }
    }
    #[inline(never)]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { (*self.lists.get()).realloc(&self.backing, block, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::rng::Rng;
    use std::alloc::System;
    use std::cell::Cell;

    /// The system allocator, counting what reaches it.
    #[derive(Default)]
    struct Counting {
        allocs: Cell<usize>,
        deallocs: Cell<usize>,
        reallocs: Cell<usize>,
    }

    // SAFETY: System's, with counters.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            self.allocs.set(self.allocs.get() + 1);
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            self.deallocs.set(self.deallocs.get() + 1);
            unsafe { System.dealloc(block, layout) }
        }
        unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            self.reallocs.set(self.reallocs.get() + 1);
            unsafe { System.realloc(block, layout, new_size) }
        }
    }

    /// Empty lists before a counting system allocator.
    fn fresh() -> (Counting, FreeLists) {
        (Counting::default(), FreeLists::new())
    }

    /// Whether the `len` bytes at `block` are all `byte`.
    ///
    /// # Safety
    /// `len` bytes at `block` are readable.
    unsafe fn holds(block: *const u8, len: usize, byte: u8) -> bool {
        (0..len).all(|i| unsafe { block.add(i).read() } == byte)
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn a_freed_small_block_is_the_next_of_its_class() {
        let (backing, mut lists) = fresh();
        unsafe {
            let a = lists.alloc(&backing, layout(24, 8));
            lists.dealloc(&backing, a, layout(24, 8));
            // 17..=32 bytes share a class; 33 does not.
            assert_eq!(lists.alloc(&backing, layout(32, 4)), a);
            let b = lists.alloc(&backing, layout(17, 1));
            assert_ne!(b, a);
            lists.dealloc(&backing, b, layout(17, 1));
            let c = lists.alloc(&backing, layout(33, 8));
            assert_ne!(c, b);
            assert_eq!((a as usize % GRANULE, c as usize % GRANULE), (0, 0));
        }
        assert_eq!(backing.allocs.get(), 3);
        assert_eq!(backing.deallocs.get(), 0);
    }

    #[test]
    fn large_and_overaligned_blocks_go_to_the_allocator_behind() {
        let (backing, mut lists) = fresh();
        for l in [layout(LARGEST + 1, 8), layout(64, 32), layout(4096, 16)] {
            unsafe {
                let a = lists.alloc(&backing, l);
                assert_eq!(a as usize % l.align(), 0);
                lists.dealloc(&backing, a, l);
            }
        }
        assert_eq!((backing.allocs.get(), backing.deallocs.get()), (3, 3));
        unsafe {
            let a = lists.alloc(&backing, layout(LARGEST, 16));
            lists.dealloc(&backing, a, layout(LARGEST, 16));
        }
        assert_eq!(backing.deallocs.get(), 3);
    }

    #[test]
    fn realloc_keeps_the_bytes_across_classes() {
        let (backing, mut lists) = fresh();
        unsafe {
            let a = lists.alloc(&backing, layout(20, 1));
            for i in 0..20 {
                a.add(i).write(i as u8);
            }
            // Same class: the block stays.
            assert_eq!(lists.realloc(&backing, a, layout(20, 1), 30), a);
            let b = lists.realloc(&backing, a, layout(30, 1), 200);
            assert_ne!(b, a);
            let c = lists.realloc(&backing, b, layout(200, 1), 5000);
            let d = lists.realloc(&backing, c, layout(5000, 1), 6000);
            let e = lists.realloc(&backing, d, layout(6000, 1), 10);
            for i in 0..10 {
                assert_eq!(e.add(i).read(), i as u8);
            }
            lists.dealloc(&backing, e, layout(10, 1));
        }
        // Large to large is the allocator's own realloc.
        assert_eq!(backing.reallocs.get(), 1);
    }

    #[test]
    fn zeroed_blocks_are_zero_when_recycled() {
        let (backing, mut lists) = fresh();
        unsafe {
            let a = lists.alloc(&backing, layout(48, 8));
            a.write_bytes(0xAB, 48);
            lists.dealloc(&backing, a, layout(48, 8));
            let b = lists.alloc_zeroed(&backing, layout(48, 8));
            assert_eq!(b, a);
            assert!(holds(b, 48, 0));
            lists.dealloc(&backing, b, layout(48, 8));
        }
    }

    /// Random allocations, frees and reallocs; each live block keeps its
    /// own fill byte, so blocks handed out twice or bytes lost in a move show.
    #[test]
    fn live_blocks_never_overlap_or_lose_bytes() {
        let (backing, mut lists) = fresh();
        let mut rng = Rng::new(9);
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        for step in 0..20_000u32 {
            let fill = step as u8;
            match rng.below(3) {
                0 if !live.is_empty() => {
                    let (block, l, f) = live.swap_remove(rng.below(live.len() as u64) as usize);
                    unsafe {
                        assert!(holds(block, l.size(), f));
                        lists.dealloc(&backing, block, l);
                    }
                }
                1 if !live.is_empty() => {
                    let k = rng.below(live.len() as u64) as usize;
                    let (block, l, f) = live[k];
                    let size = 1 + rng.below(2 * LARGEST as u64) as usize;
                    unsafe {
                        let moved = lists.realloc(&backing, block, l, size);
                        assert!(holds(moved, l.size().min(size), f));
                        moved.write_bytes(fill, size);
                        live[k] = (moved, layout(size, l.align()), fill);
                    }
                }
                _ => {
                    let l = layout(
                        1 + rng.below(2 * LARGEST as u64) as usize,
                        1 << rng.below(6),
                    );
                    unsafe {
                        let block = lists.alloc(&backing, l);
                        assert_eq!(block as usize % l.align(), 0);
                        block.write_bytes(fill, l.size());
                        live.push((block, l, fill));
                    }
                }
            }
        }
        for (block, l, f) in live {
            unsafe {
                assert!(holds(block, l.size(), f));
                lists.dealloc(&backing, block, l);
            }
        }
        // Whatever is left on the lists is System's memory until the end.
        for class in 0..CLASSES {
            let mut head = lists.heads[class];
            while !head.is_null() {
                let next = unsafe { head.cast::<*mut u8>().read() };
                unsafe { System.dealloc(head, FreeLists::block(class)) };
                head = next;
            }
        }
    }
}
