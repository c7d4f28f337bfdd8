/*  gc_chain - the journal as the store keeps it: packed entries by seq,
    each holding the hash of the one before it (a chain a verifier can
    walk), an index of each case's entries, and the head (the last seq and
    its entry's hash) recorded beside them by every commit that appends, so
    that a removed tail shows. */
#ifndef GC_CHAIN_H_INCLUDED
#define GC_CHAIN_H_INCLUDED

#include "gc_store.h"

//  Appends ENTRY: sets its seq, indexes it by case, and writes the previous
//  entry's hash into entry->prev_hash.data if the caller lent a
//  GC_HASH_SIZE buffer there (else prev_hash is left empty). Failures stick.
int gc_chain_append (gc_txn_t *txn, Gridcase__JournalEntry *entry);
//  The newest seq this transaction sees (0: an empty journal)
uint64_t gc_chain_last (gc_txn_t *txn);
//  The head as recorded at the last commit: seq and the hash of that
//  entry; GC_NOTFOUND for an empty journal
int gc_chain_head (gc_txn_t *txn, uint64_t *seq, uint8_t *hash);
//  Entry SEQ as stored (the bytes its hash is taken of)
int gc_chain_get (gc_txn_t *txn, uint64_t seq, const void **value, size_t *size);
//  Whether ENTRY carries the hash of the entry before it as stored (zeros
//  for the first); false also when that entry cannot be read
bool gc_chain_links (gc_txn_t *txn, const Gridcase__JournalEntry *entry);

#endif
