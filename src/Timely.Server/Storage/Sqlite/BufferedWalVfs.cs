using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Timely.Server.Storage.Sqlite;

/// <summary>A SQLite VFS over the default one (unix) that hands a transaction's WAL frames to the operating system
/// a few hundred at a time, at its commit, instead of in two <c>pwrite</c> calls per frame (its 24-byte header,
/// then its page). Only the writer's connection opens the database through it (<see cref="DataSource"/>); its
/// database file, and every file of the other connections, are the default VFS's own, untouched.
///
/// Why: a group commit over 64 conversations writes about 120 frames, 240 system calls, the largest share of the
/// single writer's commit on these VMs (bench/README.md, 2026-12-03 (mid-morning) and 2026-12-04).
///
/// Why it is safe: a frame counts only once a commit frame at or after it is in the file with checksums that
/// chain through it, and other connections read only up to the last commit the WAL index records, which the
/// writer updates after writing that commit frame. So the frames a transaction writes one after the other wait in
/// a buffer, and go to the file, in order, when the header of a commit frame arrives, before SQLite goes on: what
/// another connection or a restart can see is what it would have seen without the buffer. Any other call on the
/// WAL (a read, a sync, its size, a truncation, a write elsewhere, closing it) writes the buffer out first; a
/// process killed with frames in the buffer loses only its uncommitted transaction, as SQLite would.</summary>
internal static unsafe class BufferedWalVfs
{
    public const string Name = "timely-buffered-wal";

    /// <summary>Frames held at most before they are written anyway (about 500 frames of 4 KB pages).</summary>
    private const int BufferBytes = 2 << 20;

    /// <summary>Bytes per write call (the default VFS takes under 128 KB a call). Not more: a write this large gets
    /// page-cache folios as large, and with <c>synchronous = FULL</c> the folio a commit ends in is written to disk
    /// whole again after the next commit changes it. Measured on one thread, 1,000 commits of 40 rows over 64
    /// conversations (Linux 6.18, ext4): a commit 20 % shorter than with two calls per frame, and 2.6 % more bytes
    /// written with FULL (124 KB calls: 28 % shorter and 12 % more; 16 KB: 12 % and 0.9 %).</summary>
    private const int WriteCallBytes = 32 << 10;

    private const int FrameHeaderBytes = 24;
    private const int SqliteOk = 0;
    private const int SqliteNoMem = 7;
    private const int OpenWal = 0x00080000;

    private static readonly Lock registration = new();
    private static Vfs* defaultVfs;
    private static IoMethods* walMethods;

    /// <summary>The SQLite URI of the database at <paramref name="path"/> opened through this VFS (the path itself,
    /// opened as every other connection opens it, if the default VFS is older than this VFS expects).</summary>
    public static string DataSource(string path)
    {
        if (!Register())
        {
            return path;
        }
        // A URI's path: '/' between names (also on Windows, "/C:/..."); '%', '?' and '#' escaped, SQLite decodes them.
        var uriPath = Path.GetFullPath(path).Replace('\\', '/').TrimStart('/').Replace("%", "%25").Replace("?", "%3F").Replace("#", "%23");
        return $"file:///{uriPath}?vfs={Name}";
    }

    private static bool Register()
    {
        lock (registration)
        {
            if (defaultVfs is not null)
            {
                return true;
            }
            var real = sqlite3_vfs_find(null);
            if (real->Version < 3)
            {
                return false;
            }
            // A copy of the default VFS whose files are a little larger (the buffer's state, then the real file)
            // and opened by OpenFile: every other method is the default's own.
            var vfs = (Vfs*)NativeMemory.AllocZeroed((nuint)sizeof(Vfs));
            *vfs = *real;
            vfs->SizeOfFile = sizeof(WalFile) + real->SizeOfFile;
            vfs->Next = null;
            vfs->Name = (byte*)Marshal.StringToCoTaskMemUTF8(Name);
            vfs->Open = &OpenFile;

            var methods = (IoMethods*)NativeMemory.AllocZeroed((nuint)sizeof(IoMethods));
            methods->Version = 1;
            methods->Close = &Close;
            methods->Read = &Read;
            methods->Write = &Write;
            methods->Truncate = &Truncate;
            methods->Sync = &Sync;
            methods->FileSize = &FileSize;
            methods->Lock = &LockFile;
            methods->Unlock = &Unlock;
            methods->CheckReservedLock = &CheckReservedLock;
            methods->FileControl = &FileControl;
            methods->SectorSize = &SectorSize;
            methods->DeviceCharacteristics = &DeviceCharacteristics;
            walMethods = methods;

            var rc = sqlite3_vfs_register(vfs, 0);
            if (rc != SqliteOk)
            {
                throw new InvalidOperationException($"SQLite refused to register its VFS {Name} (error {rc})");
            }
            defaultVfs = real;
            return true;
        }
    }

    [UnmanagedCallersOnly]
    private static int OpenFile(Vfs* vfs, byte* name, SqliteFile* file, int flags, int* outFlags)
    {
        if ((flags & OpenWal) == 0)
        {
            // Not a WAL: the default VFS's file, in place (this VFS's files are larger than it needs).
            return defaultVfs->Open(defaultVfs, name, file, flags, outFlags);
        }
        var wal = (WalFile*)file;
        *wal = default;
        var rc = defaultVfs->Open(defaultVfs, name, wal->Real, flags, outFlags);
        if (rc == SqliteOk)
        {
            wal->Methods = walMethods;
        }
        return rc;
    }

    [UnmanagedCallersOnly]
    private static int Write(SqliteFile* file, byte* data, int bytes, long offset)
    {
        var wal = (WalFile*)file;
        var frameHeader = bytes == FrameHeaderBytes;
        if (!frameHeader && !(wal->ExpectingPage && offset == wal->End))
        {
            // Not a frame written after the frames before it (the WAL's header, a page rewritten in place).
            var flushed = Flush(wal);
            return flushed != SqliteOk ? flushed : wal->Real->Methods->Write(wal->Real, data, bytes, offset);
        }
        if (wal->Length > 0 && (offset != wal->End || wal->Length + bytes > BufferBytes))
        {
            var flushed = Flush(wal);
            if (flushed != SqliteOk)
            {
                return flushed;
            }
        }
        if (wal->Buffer is null)
        {
            try
            {
                wal->Buffer = (byte*)NativeMemory.Alloc(BufferBytes);
            }
            catch (OutOfMemoryException)
            {
                return SqliteNoMem;
            }
        }
        if (wal->Length == 0)
        {
            wal->Start = offset;
        }
        Unsafe.CopyBlockUnaligned(wal->Buffer + wal->Length, data, (uint)bytes);
        wal->Length += bytes;
        wal->ExpectingPage = frameHeader;
        // Bytes 4-7 of a frame's header: the database's size in pages after a commit, 0 for any other frame. A
        // commit frame's header goes to the file at once with the frames before it (its page follows on its own):
        // nothing of a committed transaction stays in the buffer, whatever SQLite writes next (such as the headers
        // it rewrites when a transaction wrote a page twice).
        return frameHeader && Unsafe.ReadUnaligned<int>(data + 4) != 0 ? Flush(wal) : SqliteOk;
    }

    /// <summary>Writes what the buffer holds to the file, in as few calls as the default VFS takes.</summary>
    private static int Flush(WalFile* wal)
    {
        wal->ExpectingPage = false;
        var length = wal->Length;
        wal->Length = 0;
        for (var written = 0; written < length; written += WriteCallBytes)
        {
            var rc = wal->Real->Methods->Write(wal->Real, wal->Buffer + written, Math.Min(WriteCallBytes, length - written), wal->Start + written);
            if (rc != SqliteOk)
            {
                return rc;
            }
        }
        return SqliteOk;
    }

    [UnmanagedCallersOnly]
    private static int Close(SqliteFile* file)
    {
        var wal = (WalFile*)file;
        var flushed = Flush(wal);
        NativeMemory.Free(wal->Buffer);
        wal->Buffer = null;
        var rc = wal->Real->Methods->Close(wal->Real);
        return flushed != SqliteOk ? flushed : rc;
    }

    // Every other call on the WAL writes the buffer out first.
    [UnmanagedCallersOnly]
    private static int Read(SqliteFile* file, byte* data, int bytes, long offset) =>
        Flush((WalFile*)file) is var flushed and not SqliteOk ? flushed : Real(file)->Methods->Read(Real(file), data, bytes, offset);

    [UnmanagedCallersOnly]
    private static int Truncate(SqliteFile* file, long size) =>
        Flush((WalFile*)file) is var flushed and not SqliteOk ? flushed : Real(file)->Methods->Truncate(Real(file), size);

    [UnmanagedCallersOnly]
    private static int Sync(SqliteFile* file, int flags) =>
        Flush((WalFile*)file) is var flushed and not SqliteOk ? flushed : Real(file)->Methods->Sync(Real(file), flags);

    [UnmanagedCallersOnly]
    private static int FileSize(SqliteFile* file, long* size) =>
        Flush((WalFile*)file) is var flushed and not SqliteOk ? flushed : Real(file)->Methods->FileSize(Real(file), size);

    [UnmanagedCallersOnly]
    private static int FileControl(SqliteFile* file, int op, void* arg) =>
        Flush((WalFile*)file) is var flushed and not SqliteOk ? flushed : Real(file)->Methods->FileControl(Real(file), op, arg);

    [UnmanagedCallersOnly]
    private static int LockFile(SqliteFile* file, int level) => Real(file)->Methods->Lock(Real(file), level);

    [UnmanagedCallersOnly]
    private static int Unlock(SqliteFile* file, int level) => Real(file)->Methods->Unlock(Real(file), level);

    [UnmanagedCallersOnly]
    private static int CheckReservedLock(SqliteFile* file, int* result) => Real(file)->Methods->CheckReservedLock(Real(file), result);

    [UnmanagedCallersOnly]
    private static int SectorSize(SqliteFile* file) => Real(file)->Methods->SectorSize(Real(file));

    [UnmanagedCallersOnly]
    private static int DeviceCharacteristics(SqliteFile* file) => Real(file)->Methods->DeviceCharacteristics(Real(file));

    private static SqliteFile* Real(SqliteFile* file) => ((WalFile*)file)->Real;

    [DllImport("e_sqlite3")]
    private static extern Vfs* sqlite3_vfs_find(byte* name);

    [DllImport("e_sqlite3")]
    private static extern int sqlite3_vfs_register(Vfs* vfs, int makeDefault);

    /// <summary>sqlite3_file: the methods of an open file, then the VFS's own state.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SqliteFile
    {
        public IoMethods* Methods;
    }

    /// <summary>A WAL opened through this VFS: its buffer's state, then the default VFS's file.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct WalFile
    {
        public IoMethods* Methods;
        public byte* Buffer;
        public long Start;
        public int Length;
        public bool ExpectingPage;

        public readonly long End => Start + Length;

        public SqliteFile* Real => (SqliteFile*)((byte*)Unsafe.AsPointer(ref this) + sizeof(WalFile));
    }

    /// <summary>sqlite3_io_methods, version 1 (a WAL needs no shared memory or memory mapping of its own).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct IoMethods
    {
        public int Version;
        public delegate* unmanaged<SqliteFile*, int> Close;
        public delegate* unmanaged<SqliteFile*, byte*, int, long, int> Read;
        public delegate* unmanaged<SqliteFile*, byte*, int, long, int> Write;
        public delegate* unmanaged<SqliteFile*, long, int> Truncate;
        public delegate* unmanaged<SqliteFile*, int, int> Sync;
        public delegate* unmanaged<SqliteFile*, long*, int> FileSize;
        public delegate* unmanaged<SqliteFile*, int, int> Lock;
        public delegate* unmanaged<SqliteFile*, int, int> Unlock;
        public delegate* unmanaged<SqliteFile*, int*, int> CheckReservedLock;
        public delegate* unmanaged<SqliteFile*, int, void*, int> FileControl;
        public delegate* unmanaged<SqliteFile*, int> SectorSize;
        public delegate* unmanaged<SqliteFile*, int> DeviceCharacteristics;
    }

    /// <summary>sqlite3_vfs up to xOpen; the rest (version 3: 15 more methods) is copied from the default VFS as it is.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Vfs
    {
        public int Version;
        public int SizeOfFile;
        public int MaxPathname;
        public Vfs* Next;
        public byte* Name;
        public void* AppData;
        public delegate* unmanaged<Vfs*, byte*, SqliteFile*, int, int*, int> Open;
        public fixed long Others[15];
    }
}
