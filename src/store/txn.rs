//! The transaction handles the store hands out: [`WriteTx`] to write commands, [`ReadTx`] to
//! reads. They wrap redb's transactions so that code outside the store can pass a transaction
//! on to store functions but never reach redb itself; only store modules open tables.

use redb::{ReadOnlyTable, Table, TableDefinition, TableError};

/// The batch transaction a write command runs in (see `writer.rs`).
pub struct WriteTx {
    txn: redb::WriteTransaction,
}

/// A read snapshot.
pub struct ReadTx {
    txn: redb::ReadTransaction,
}

impl WriteTx {
    pub(in crate::store) fn new(txn: redb::WriteTransaction) -> WriteTx {
        WriteTx { txn }
    }

    pub(in crate::store) fn into_inner(self) -> redb::WriteTransaction {
        self.txn
    }

    pub(in crate::store) fn raw(&self) -> &redb::WriteTransaction {
        &self.txn
    }

    pub(in crate::store) fn open_table<'t, K: redb::Key + 'static, V: redb::Value + 'static>(
        &'t self,
        def: TableDefinition<K, V>,
    ) -> Result<Table<'t, K, V>, TableError> {
        self.txn.open_table(def)
    }
}

impl ReadTx {
    pub(in crate::store) fn new(txn: redb::ReadTransaction) -> ReadTx {
        ReadTx { txn }
    }

    pub(in crate::store) fn raw(&self) -> &redb::ReadTransaction {
        &self.txn
    }

    pub(in crate::store) fn open_table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<ReadOnlyTable<K, V>, TableError> {
        self.txn.open_table(def)
    }
}
