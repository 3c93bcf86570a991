// Bahasa Indonesia first, English as a switch (stored in localStorage). Static text in the pages
// carries data-i18n="key" (textContent), data-i18n-ph (placeholder) or data-i18n-label (aria-label).

const id = {
  'app.title': 'Layanan Bantuan Polisi', 'app.polda': 'Polda Sumatera Selatan', 'lang.switch': 'English',
  'nav.report': 'Lapor', 'nav.track': 'Lacak laporan', 'nav.konsol': 'Konsol', 'nav.pantau': 'Pantau',
  'nav.admin': 'Admin', 'nav.audit': 'Audit', 'nav.staff': 'Masuk petugas', 'nav.logout': 'Keluar', 'nav.main': 'Navigasi',
  'foot.wa': 'WhatsApp Banpol: 0813-70002-110', 'foot.110': 'Darurat: 110',
  'call110': 'Keadaan darurat? Telepon 110',
  'cat.crime': 'Peristiwa Tindak Pidana', 'cat.information': 'Informasi', 'cat.feedback': 'Kritik dan Saran', 'cat.appreciation': 'Apresiasi',
  'cat.crime.help': 'Kejahatan yang sedang atau sudah terjadi: pencurian, perampokan, penganiayaan, penipuan.',
  'cat.information.help': 'Pertanyaan tentang layanan polisi: SKCK, SIM, surat kehilangan, izin keramaian.',
  'cat.feedback.help': 'Kritik atau saran untuk kepolisian. Pengaduan tentang perilaku petugas diteruskan ke Propam.',
  'cat.appreciation.help': 'Pujian untuk satuan atau petugas polisi yang membantu Anda.',
  'f.heading': 'Laporkan kepada polisi', 'f.intro': 'Isi formulir di bawah. Petugas kami membaca setiap laporan.',
  'f.category': 'Jenis laporan', 'f.life': 'Jika ada nyawa dalam bahaya, segera telepon 110. Formulir ini tidak menggantikan panggilan darurat.',
  'f.description': 'Apa yang terjadi?', 'f.description.hint': 'Ceritakan apa, kapan, dan siapa yang terlibat (minimal 10 huruf).',
  'f.where': 'Di mana?', 'f.regency': 'Kabupaten/Kota', 'f.choose': '— pilih —', 'f.address': 'Alamat atau tempat kejadian',
  'f.gps': 'Gunakan lokasi saya', 'f.gps.wait': 'Mengambil lokasi…', 'f.gps.ok': 'Lokasi terpasang', 'f.gps.fail': 'Lokasi tidak dapat diambil. Isi alamat saja.',
  'f.gps.clear': 'Hapus lokasi', 'f.who': 'Data pelapor', 'f.name': 'Nama Anda', 'f.phone': 'Nomor HP', 'f.phone.hint': 'Contoh: 0812-3456-7890. Petugas dapat menelepon Anda kembali.',
  'f.submit': 'Kirim laporan', 'f.sending': 'Mengirim…', 'f.done': 'Laporan terkirim', 'f.ticket': 'Nomor tiket', 'f.token': 'Kode lacak',
  'f.keep': 'Simpan nomor tiket dan kode lacak ini. Keduanya diperlukan untuk melihat status laporan Anda.',
  'f.track': 'Lihat status laporan', 'f.again': 'Buat laporan lain', 'f.fix': 'Periksa kembali isian yang ditandai.',
  'err.required': 'Wajib diisi.', 'err.category': 'Pilih jenis laporan.', 'err.desc_short': 'Tulis minimal 10 huruf.',
  'err.too_long': 'Terlalu panjang.', 'err.phone': 'Nomor HP tidak valid. Contoh: 0812-3456-7890.', 'err.regency': 'Pilih kabupaten/kota dari daftar.',
  'err.address_short': 'Tulis minimal 3 huruf.', 'err.network': 'Tidak dapat terhubung. Periksa koneksi lalu coba lagi.',
  'err.rate': 'Terlalu banyak laporan dari perangkat ini. Coba lagi nanti.', 'err.invalid': 'Isian tidak valid.', 'err.server': 'Gagal',
  'tr.heading': 'Lacak laporan', 'tr.intro': 'Masukkan nomor tiket dan kode lacak yang Anda terima saat melapor.',
  'tr.ticket': 'Nomor tiket', 'tr.token': 'Kode lacak', 'tr.submit': 'Lihat status', 'tr.notfound': 'Laporan tidak ditemukan. Periksa nomor tiket dan kode lacak.',
  'tr.status': 'Status', 'tr.category': 'Jenis', 'tr.created': 'Dilaporkan', 'tr.updated': 'Diperbarui', 'tr.notes': 'Catatan petugas',
  'tr.nonotes': 'Belum ada catatan.', 'tr.dup': 'Laporan ini sama dengan laporan', 'tr.dupstatus': 'yang berstatus',
  'tr.rate': 'Terlalu banyak pencarian dari perangkat ini. Coba lagi sebentar lagi.',
  'st.new': 'Baru', 'st.verified': 'Terverifikasi', 'st.rejected': 'Ditolak', 'st.dispatched': 'Didisposisi', 'st.acknowledged': 'Diterima Satker',
  'st.in_progress': 'Ditindaklanjuti', 'st.resolved': 'Selesai', 'st.closed': 'Ditutup',
  'pr.emergency': 'Darurat', 'pr.high': 'Tinggi', 'pr.normal': 'Biasa',
  'ch.web': 'Web', 'ch.phone': 'Telepon 110', 'ch.walk_in': 'Datang langsung', 'ch.whatsapp': 'WhatsApp',
  'lg.heading': 'Masuk petugas', 'lg.user': 'Nama pengguna', 'lg.pass': 'Kata sandi', 'lg.submit': 'Masuk', 'lg.bad': 'Nama pengguna atau kata sandi salah.',
  'lg.locked': 'Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.', 'lg.pending': 'Akun ini menunggu konfirmasi Ka Siaga atau Pimpinan.', 'lg.role': 'Peran Anda tidak dapat membuka halaman ini.',
  'ss.warn': 'Sesi Anda akan berakhir dalam {left} (pukul {at}). Simpan pekerjaan Anda atau tetap masuk.', 'ss.stay': 'Tetap masuk',
  'ss.ended.h': 'Sesi berakhir', 'ss.other': 'Masuk sebagai pengguna lain',
  'ss.ended': 'Sesi Anda telah berakhir. Masukkan kata sandi untuk melanjutkan; halaman, kasus yang terbuka dan isian Anda tetap di sini.',
  'q.search': 'Cari tiket, nomor HP, atau kata', 'q.status': 'Status', 'q.all_open': 'Semua terbuka', 'q.category': 'Jenis', 'q.all': 'Semua',
  'q.lane': 'Jalur', 'q.lane.main': 'Utama', 'q.lane.blocked': 'Nomor diblokir', 'q.lane.all': 'Semua', 'q.overdue': 'Lewat tenggat saja',
  'q.call': 'Terima panggilan', 'q.call.key': '(tombol N)', 'q.total': 'kasus', 'q.page': 'Halaman', 'q.prev': 'Sebelumnya', 'q.next': 'Berikutnya',
  'q.empty': 'Tidak ada kasus.', 'q.live': 'Langsung', 'q.offline': 'Terputus — menyambung ulang…', 'q.queue': 'Antrean',
  'q.ticket': 'Tiket', 'q.what': 'Laporan', 'q.where': 'Wilayah', 'q.deadline': 'Tenggat', 'q.left': 'lagi', 'q.late': 'terlambat',
  'q.suspect': 'Diduga palsu', 'q.blocked': 'Nomor diblokir', 'q.loading': 'Memuat…',
  'snd.on': 'Suara: aktif', 'snd.off': 'Aktifkan suara', 'alert.crime': 'Laporan tindak pidana baru',
  'c.none': 'Pilih kasus dari antrean.', 'c.reporter': 'Pelapor', 'c.location': 'Lokasi', 'c.coords': 'Koordinat', 'c.description': 'Uraian',
  'c.unit': 'Satuan', 'c.suggested': 'Satuan yang disarankan', 'c.deadline': 'Tenggat', 'c.prank': 'Skor laporan palsu', 'c.record': 'Riwayat nomor',
  'c.record.line': '{reports}, {verified} terverifikasi, {pranks} dalam periode', 'c.history': 'Riwayat kasus', 'c.actions': 'Tindakan',
  'c.noactions': 'Tidak ada tindakan yang dapat Anda lakukan pada kasus ini.', 'c.dupcands': 'Kemungkinan laporan ganda', 'c.done': 'Tersimpan.',
  'c.channel': 'Saluran', 'c.created': 'Dilaporkan', 'c.sop': 'Versi SOP', 'c.verification': 'Verifikasi', 'c.reject_reason': 'Alasan penolakan',
  'c.resolution': 'Hasil', 'c.unverified': 'Didisposisi sebelum diverifikasi', 'c.close': 'Tutup',
  'a.verify': 'Verifikasi', 'a.reject': 'Tolak', 'a.link_duplicate': 'Tandai laporan ganda', 'a.dispatch': 'Disposisi', 'a.acknowledge': 'Terima',
  'a.progress': 'Tindak lanjut', 'a.resolve': 'Selesaikan', 'a.close': 'Tutup kasus', 'a.reopen': 'Buka kembali', 'a.note': 'Catatan',
  'a.method': 'Cara verifikasi', 'a.priority': 'Prioritas', 'a.keep': '(tetap)', 'a.reason': 'Alasan', 'a.note_field': 'Catatan', 'a.unit': 'Satuan tujuan',
  'a.summary': 'Ringkasan hasil', 'a.text': 'Isi catatan', 'a.public': 'Tampilkan kepada pelapor', 'a.original': 'Tiket asli',
  'm.callback_confirmed': 'Dikonfirmasi lewat telepon balik', 'm.scene_confirmed': 'Dikonfirmasi di lokasi', 'm.not_reachable': 'Pelapor tidak dapat dihubungi',
  'r.prank': 'Laporan palsu', 'r.unverifiable': 'Tidak dapat diverifikasi', 'r.duplicate': 'Laporan ganda', 'r.out_of_scope': 'Di luar kewenangan',
  'ev.reported': 'Dilaporkan', 'ev.verified': 'Diverifikasi', 'ev.rejected': 'Ditolak', 'ev.duplicate_linked': 'Laporan ganda ditautkan', 'ev.dispatched': 'Didisposisi',
  'ev.acknowledged': 'Diterima satuan', 'ev.progressed': 'Ditindaklanjuti', 'ev.resolved': 'Diselesaikan', 'ev.closed': 'Ditutup', 'ev.reopened': 'Dibuka kembali',
  'ev.noted': 'Catatan', 'ev.escalated': 'Eskalasi',
  'ct.heading': 'Terima panggilan 110 / pelapor datang', 'ct.channel': 'Saluran', 'ct.submit': 'Simpan laporan (Enter)', 'ct.cancel': 'Batal (Esc)',
  'ct.help': 'Tab untuk pindah isian, Enter untuk menyimpan, Ctrl+Enter di dalam uraian.', 'ct.saved': 'Laporan tersimpan', 'n.block': 'Blokir nomor ini', 'n.lift': 'Cabut blokir', 'n.until': 'Nomor ini diblokir sampai', 'ct.name': 'Nama pelapor',
  'b.heading': 'Command Center', 'b.today': 'Laporan hari ini', 'b.open': 'Kasus terbuka', 'b.overdue': 'Lewat tenggat', 'b.escalations': 'Eskalasi hari ini',
  'b.by_status': 'Hari ini menurut status', 'b.by_category': 'Hari ini menurut jenis', 'b.overdue_list': 'Kasus lewat tenggat', 'b.escalated': 'Kasus tereskalasi',
  'b.units': 'Tenggat terpenuhi per satuan', 'b.map': 'Peta kasus terbuka', 'b.sync': 'Sinkronisasi pos', 'b.nosync': 'Sinkronisasi tidak aktif di node ini.', 'b.version': 'Versi', 'b.nopeers': 'Belum ada pos lain yang tersambung ke node ini.', 'b.probation': 'masa uji', 'b.rollback': 'dibatalkan:',
  'b.node': 'Node', 'b.last': 'Kontak terakhir', 'b.backlog': 'Antrean kirim', 'b.connected': 'Terhubung', 'b.disconnected': 'Terputus', 'b.none': 'Tidak ada.',
  'b.updated': 'Diperbarui', 'b.rung': 'tingkat', 'b.share': 'terpenuhi', 'b.map.note': 'Skema: titik = pusat kabupaten/kota; bukan peta navigasi.',
  'ad.heading': 'Pengguna dan peran', 'ad.add': 'Tambah pengguna', 'ad.user': 'Nama pengguna', 'ad.role': 'Peran', 'ad.unit': 'Satuan (untuk petugas satuan)',
  'ad.pass': 'Kata sandi (kosongkan untuk dibuatkan)', 'ad.create': 'Tambahkan', 'ad.disable': 'Nonaktifkan', 'ad.reset': 'Atur ulang sandi',
  'ad.disabled': 'nonaktif', 'ad.active': 'aktif', 'ad.created': 'Dibuat', 'ad.status': 'Status', 'ad.shown_once': 'Kata sandi untuk {user} (hanya ditampilkan sekali):',
  'ad.pending': 'menunggu konfirmasi', 'ad.enable': 'Aktifkan', 'ad.confirm_account': 'Konfirmasi', 'ad.waits': 'menunggu Ka Siaga atau Pimpinan',
  'ad.pending_heading': 'Akun menunggu konfirmasi', 'ad.pending_none': 'Tidak ada akun yang menunggu konfirmasi.',
  'ad.pending_help': 'Akun yang dibuat atau diatur ulang sandinya oleh Admin TIK lewat web, untuk peran yang membaca isi laporan, baru dapat masuk setelah Ka Siaga atau Pimpinan node ini mengonfirmasinya.',
  'ad.confirm': 'Yakin?', 'ad.integrity': 'Periksa integritas', 'ad.int_ok': 'Rantai hash utuh.', 'ad.int_bad': 'Rantai hash RUSAK — laporkan ke Itwasda.',
  'au.heading': 'Audit (hanya baca)', 'au.cases': 'Semua kasus', 'au.log': 'Log akses', 'au.at': 'Waktu', 'au.actor': 'Pengguna', 'au.action': 'Aksi',
  'au.target': 'Sasaran', 'au.from': 'Dari', 'au.chain_ok': 'Rantai log akses utuh', 'au.chain_bad': 'Rantai log akses RUSAK',
  'role.operator': 'Operator', 'role.pa_siaga': 'Pa Siaga', 'role.ka_siaga': 'Ka Siaga', 'role.unit_officer': 'Petugas satuan', 'role.leader': 'Pimpinan',
  'role.auditor': 'Auditor (Itwasda)', 'role.propam': 'Propam', 'role.tik_admin': 'Admin TIK',
  'step.verify': 'Verifikasi', 'step.dispatch': 'Disposisi', 'step.acknowledge': 'Diterima satuan', 'step.first_action': 'Tindakan pertama', 'step.resolve': 'Penyelesaian',
  // --- citizen form and public notes ---
  'ph.draft': 'Draf laporan Anda dipulihkan dari perangkat ini.', 'ph.draft.clear': 'Kosongkan formulir',
  'ph.count': '{n} / {max} karakter', 'ph.too_long': 'Terlalu panjang: {n} karakter, paling banyak {max}. Persingkat tulisan Anda.',
  'ph.label': 'Foto (boleh dikosongkan)', 'ph.hint': 'Paling banyak 3 foto JPEG, PNG atau WebP, masing-masing paling besar 5 MB.',
  'ph.remove': 'Hapus', 'ph.bad': 'tidak dapat dikirim', 'ph.sending': 'Mengirim laporan dan foto…',
  'ph.err.photo_not_image': 'Foto {n} bukan gambar JPEG, PNG atau WebP. Hapus foto itu lalu kirim lagi; tulisan Anda tetap ada.',
  'ph.err.photo_too_large': 'Foto {n} lebih besar dari 5 MB. Hapus foto itu atau pilih yang lebih kecil; tulisan Anda tetap ada.',
  'ph.err.too_many_photos': 'Paling banyak 3 foto untuk satu laporan. Foto lainnya tidak dilampirkan.',
  'ph.rate.phone': 'Terlalu banyak laporan dari nomor HP ini dalam waktu singkat. Coba lagi dalam {wait} (sekitar pukul {at}). Jika ada nyawa dalam bahaya, telepon 110.',
  'ph.rate.address': 'Terlalu banyak laporan dari jaringan ini dalam waktu singkat. Coba lagi dalam {wait} (sekitar pukul {at}). Jika ada nyawa dalam bahaya, telepon 110.',
  'ph.min': '{n} menit', 'ph.sec': '{n} detik', 'ph.next': 'Apa selanjutnya?',
  'ph.next.check': 'Petugas memeriksa laporan Anda dan dapat menelepon nomor HP yang Anda berikan untuk memastikannya.',
  'ph.next.crime': 'Laporan tindak pidana diteruskan ke satuan polisi di wilayah kejadian, yang menindaklanjutinya.',
  'ph.next.other': 'Laporan Anda diteruskan kepada satuan yang berwenang untuk dijawab atau ditindaklanjuti.',
  'ph.next.track': 'Pantau statusnya di halaman Lacak laporan dengan nomor tiket dan kode lacak; catatan petugas untuk Anda tampil di sana dengan waktunya.',
  'ph.next.110': 'Jika keadaan memburuk atau ada nyawa dalam bahaya, jangan menunggu: telepon 110.',
  'ph.photos': 'Foto dari pelapor', 'ph.alt': 'Foto {n} dari pelapor', 'ph.public': 'Tampilkan kepada pelapor di halaman Lacak',
  'ph.err.photos_busy': 'Banyak laporan berfoto sedang masuk. Tunggu beberapa detik lalu tekan Kirim lagi; isian Anda tetap ada.',
  // --- lang (issue 13: one language at a time; admin and audit) ---
  // the text of every API error `code` (tests/it/i18n.rs checks each code of the Rust side has one)
  'code.photo_not_image': 'Foto itu bukan gambar JPEG, PNG atau WebP.',
  'code.photo_too_large': 'Foto itu lebih besar dari 5 MB.',
  'code.too_many_photos': 'Paling banyak 3 foto untuk satu laporan.',
  'code.photos_busy': 'Banyak laporan berfoto sedang masuk. Tunggu beberapa detik lalu kirim lagi.',
  'code.account_pending': 'Akun ini menunggu konfirmasi Ka Siaga atau Pimpinan.',
  'code.already_blocked': 'Nomor ini sudah diblokir.',
  'code.already_enabled': 'Akun ini sudah aktif.',
  'code.already_verified': 'Kasus ini sudah diverifikasi.',
  'code.bad_body': 'Isi permintaan tidak dapat dibaca. Muat ulang halaman lalu coba lagi.',
  'code.bad_credentials': 'Nama pengguna atau kata sandi salah.',
  'code.bad_join_token': 'Token bergabung tidak valid. Salin persis seperti yang diberikan.',
  'code.bad_node_code': 'Kode node tidak valid.',
  'code.bad_origin': 'Permintaan ditolak karena tidak berasal dari halaman ini. Muat ulang halaman.',
  'code.bad_query': 'Alamat permintaan tidak valid.',
  'code.bad_signature': 'Tanda tangan pesan tidak cocok.',
  'code.bad_username': 'Nama pengguna: 2–32 huruf kecil, angka, titik, garis bawah atau tanda hubung, diawali huruf.',
  'code.bad_verify_token': 'Token verifikasi tidak cocok.',
  'code.certificate_refused': 'Sertifikat tidak dapat diterbitkan.',
  'code.chain_broken': 'Rantai hash RUSAK — laporkan ke Itwasda.',
  'code.csrf_mismatch': 'Sesi halaman ini sudah tidak berlaku. Muat ulang halaman lalu coba lagi.',
  'code.csrf_missing': 'Sesi halaman ini sudah tidak berlaku. Muat ulang halaman lalu coba lagi.',
  'code.duplicate_of_duplicate': 'Laporan asal itu sendiri laporan ganda. Tautkan ke laporan pertamanya.',
  'code.feed_refused': 'Data sinkronisasi ditolak.',
  'code.forbidden': 'Akses ditolak.',
  'code.internal': 'Terjadi kesalahan di server. Coba lagi; jika berulang, hubungi Bid TIK dengan kode {id}.',
  'code.invalid_date': 'Tanggal tidak valid.',
  'code.invalid_field': 'Isian tidak valid.',
  'code.invalid_phone': 'Nomor HP tidak valid. Contoh: 0812-3456-7890.',
  'code.invalid_transition': 'Tindakan ini tidak sesuai dengan status kasus sekarang. Buka kembali kasusnya.',
  'code.join_token_refused': 'Token bergabung tidak dikenal, sudah dipakai atau kedaluwarsa. Minta token baru.',
  'code.last_admin': 'Ini Admin TIK aktif terakhir. Tambahkan Admin TIK lain lebih dulu.',
  'code.malformed_json': 'Isi permintaan tidak valid. Muat ulang halaman lalu coba lagi.',
  'code.method_not_allowed': 'Permintaan ini tidak didukung.',
  'code.missing_field': 'Wajib diisi.',
  'code.no_demo_unit': 'Node ini tidak punya satuan untuk kasus contoh.',
  'code.no_such_route': 'Alamat ini tidak ada.',
  'code.no_such_user': 'Pengguna tidak ditemukan.',
  'code.not_blocked': 'Nomor ini tidak sedang diblokir.',
  'code.not_executable': 'Perintah ini tidak dapat dijalankan.',
  'code.not_found': 'Tidak ditemukan.',
  'code.not_owner': 'Kasus ini ditangani node lain; di sini hanya dapat ditambah catatan.',
  'code.not_pending': 'Akun ini tidak sedang menunggu konfirmasi.',
  'code.password_too_short': 'Kata sandi terlalu pendek.',
  'code.payload_too_large': 'Kiriman terlalu besar.',
  'code.rate_limited': 'Terlalu banyak permintaan dari perangkat ini. Coba lagi nanti.',
  'code.reason_required': 'Tuliskan alasannya.',
  'code.release_refused': 'Rilis ditolak: tanda tangan atau isinya tidak sah.',
  'code.role_may_not': 'Peran Anda tidak dapat melakukan ini.',
  'code.self_disable': 'Anda tidak dapat menonaktifkan akun Anda sendiri. Minta Admin TIK lain.',
  'code.self_invite': 'Node ini tidak dapat mengundang dirinya sendiri.',
  'code.session_expired': 'Sesi Anda telah berakhir. Masuk kembali.',
  'code.store_unavailable': 'Penyimpanan belum dapat memastikan data tersimpan. Coba lagi sebentar lagi.',
  'code.throttled': 'Terlalu banyak proses masuk sekaligus. Coba lagi sebentar lagi.',
  'code.too_many_attempts': 'Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.',
  'code.unauthenticated': 'Silakan masuk terlebih dahulu.',
  'code.unit_not_allowed': 'Peran ini tidak terikat pada satuan; kosongkan pilihan satuan.',
  'code.unit_required': 'Petugas satuan memerlukan satuan. Pilih satuannya.',
  'code.unknown_action': 'Tindakan tidak dikenal.',
  'code.unknown_category': 'Pilih jenis laporan.',
  'code.unknown_node': 'Node tidak ada dalam daftar satuan.',
  'code.unknown_original': 'Laporan asal tidak ditemukan.',
  'code.unknown_regency': 'Pilih kabupaten/kota dari daftar.',
  'code.unknown_reject_reason': 'Alasan penolakan tidak dikenal.',
  'code.unknown_role': 'Peran tidak dikenal.',
  'code.unknown_unit': 'Satuan tidak dikenal.',
  'code.unknown_verify_method': 'Cara verifikasi tidak dikenal.',
  'code.unsupported_media_type': 'Jenis isi tidak didukung.',
  'code.upload_in_progress': 'Unggahan lain sedang berjalan. Coba lagi nanti.',
  'code.user_exists': 'Nama pengguna ini sudah dipakai.',
  // access-log actions (audit page)
  'aa.login': 'Masuk', 'aa.login_failed': 'Gagal masuk', 'aa.login_locked': 'Masuk dikunci sementara',
  'aa.login_pending': 'Masuk ditolak: akun menunggu konfirmasi', 'aa.user_add': 'Pengguna ditambahkan',
  'aa.user_passwd': 'Kata sandi diganti', 'aa.user_disable': 'Akun dinonaktifkan', 'aa.user_enable': 'Akun diaktifkan kembali',
  'aa.user_confirm': 'Akun dikonfirmasi', 'aa.node_invite': 'Node diundang', 'aa.node_new_epoch': 'Node memulai epoch baru',
  'aa.read_photo': 'Melihat foto laporan', 'aa.user_identity': 'Mengubah identitas petugas', 'aa.read_queue': 'Membaca antrean', 'aa.read_case': 'Membuka kasus', 'aa.read_reporter': 'Membaca riwayat nomor',
  'aa.block_number': 'Nomor diblokir', 'aa.lift_block': 'Blokir dicabut', 'aa.verify_integrity': 'Pemeriksaan integritas',
  'aa.export_access_log': 'Ekspor log akses', 'aa.release_publish_attempt': 'Percobaan menerbitkan rilis', 'aa.release_publish': 'Rilis diterbitkan',
  // prank score reasons, by factor ({n}, {ticket}, {pct}, {coords} from the server's detail)
  'pf.blocked': 'nomor ini sedang diblokir', 'pf.confirmed_pranks': '{n} laporan palsu terkonfirmasi dalam periode',
  'pf.burst': '{n} laporan dari nomor ini dalam waktu singkat', 'pf.duplicate_same_reporter': 'nomor ini sudah punya laporan terbuka {ticket}',
  'pf.duplicate_similar_text': 'mirip {pct}% dengan laporan terbuka {ticket} di wilayah yang sama',
  'pf.no_coordinates': 'tanpa koordinat lokasi', 'pf.outside_territory': 'koordinat ({coords}) di luar wilayah Polda',
  'pf.empty_description': 'uraian kejadian tidak berisi keterangan',
  'c.actor_citizen': 'pelapor', 'c.actor_system': 'sistem {node}',
  // counts (Intl.PluralRules: Indonesian has one form)
  'q.count.other': '{n} kasus', 'n.reports.other': '{n} laporan', 'n.pranks.other': '{n} palsu',
  // admin: confirmations, re-enabling
  'ad.confirm_disable': 'Nonaktifkan akun {user}? Semua sesinya ditutup dan ia tidak dapat masuk sampai diaktifkan kembali.',
  'ad.confirm_reset': 'Atur ulang kata sandi {user}? Sandi lama tidak berlaku lagi dan semua sesinya ditutup.',
  'ad.confirm_enable': 'Aktifkan kembali akun {user}? Kata sandinya tetap seperti sebelum dinonaktifkan.',
  'ad.yes_disable': 'Ya, nonaktifkan', 'ad.yes_reset': 'Ya, atur ulang', 'ad.yes_enable': 'Ya, aktifkan', 'ad.cancel': 'Batal',
  'ad.done_disable': 'Akun {user} dinonaktifkan.', 'ad.done_enable': 'Akun {user} aktif kembali.', 'ad.you': '(Anda)',
  'ad.int_events.other': '{n} kejadian diperiksa',
  // audit: filters and export
  'au.filters': 'Saring log akses', 'au.f_actor': 'Pengguna', 'au.f_action': 'Aksi', 'au.f_ticket': 'Tiket', 'au.f_from': 'Dari tanggal',
  'au.f_to': 'Sampai tanggal', 'au.f_any': 'Semua', 'au.f_apply': 'Terapkan', 'au.f_clear': 'Hapus saringan', 'au.csv': 'Unduh CSV',
  'au.shown.other': '{n} entri ditampilkan (terbaru dulu)', 'au.dates_wib': 'Tanggal dan jam dalam WIB.',
  // --- console (issue 13: call-taker form, console layout, dark theme) ---
  'm.caller_on_line': 'Dikonfirmasi: penelepon di saluran', 'ct.save': 'Simpan (Ctrl+Enter)', 'ct.dispatch': 'Simpan & disposisi (Ctrl+Shift+Enter)',
  'ct.keys': 'Tab atau Enter pindah ke isian berikutnya; Ctrl+Enter menyimpan. Darurat: Simpan & disposisi mencatat verifikasi oleh penelepon di saluran lalu membuka pilihan satuan.',
  'ct.fix': 'Periksa isian yang ditandai.', 'ct.verify_failed': 'Laporan tersimpan, tetapi verifikasi belum tercatat.',
  'c.next': 'Langkah berikutnya', 'c.saved': 'Tersimpan {at}: {what}', 'c.dispatched_to': 'Didisposisi ke {unit}', 'c.redispatch': 'Disposisi ulang',
  'c.back': '← Kembali ke antrean', 'c.call': 'Telepon {phone}', 'q.unread': 'Belum dibuka', 'alert.unread': 'Laporan tindak pidana baru belum dibuka',
  'snd.rings': 'Bunyi diulang setiap 30 detik sampai kasus dibuka.', 'theme.dark': 'Mode gelap', 'theme.light': 'Mode terang',
  // --- wall board and paper (STPL) ---
  'bw.fullscreen': 'Layar penuh', 'bw.fullscreen_exit': 'Keluar layar penuh', 'bw.more': '+{n} lagi',
  'bw.unlocated': 'Tanpa koordinat (jumlah, di pusat kab./kota)', 'bw.alarm': 'Lewat tenggat / tereskalasi',
  'bw.map_note': 'Skema wilayah: letak pusat kabupaten/kota perkiraan; bukan peta navigasi.',
  'bw.nopeers': 'Belum ada pos yang tersambung ke node ini.',
  'stpl.button': 'Cetak STPL', 'stpl.print': 'Cetak', 'stpl.print_hint': 'Kertas A4. Tanda tangan petugas di bawah setelah dicetak.',
  'stpl.kop1': 'KEPOLISIAN NEGARA REPUBLIK INDONESIA', 'stpl.title': 'SURAT TANDA PENERIMAAN LAPORAN', 'stpl.number': 'Nomor:',
  'stpl.intro': 'Pada {when} telah diterima laporan dengan keterangan sebagai berikut.',
  'stpl.ticket': 'Nomor tiket', 'stpl.token': 'Kode lacak', 'stpl.token_unknown': 'diberikan kepada pelapor saat laporan diterima',
  'stpl.received': 'Diterima', 'stpl.channel': 'Saluran', 'stpl.category': 'Jenis laporan', 'stpl.regency': 'Kabupaten/kota',
  'stpl.reporter': 'Pelapor', 'stpl.address': 'Alamat kejadian', 'stpl.what': 'Isi laporan',
  'stpl.what_none': 'Isi laporan tersimpan di sistem dan dapat dibaca petugas.',
  'stpl.ch.web': 'formulir web', 'stpl.ch.whatsapp': 'WhatsApp Banpol', 'stpl.ch.phone': 'telepon 110', 'stpl.ch.walk_in': 'datang langsung ke posko',
  'stpl.by_channel': 'Diterima melalui {channel}', 'stpl.received_by': 'Yang menerima,',
  'stpl.next': 'Langkah selanjutnya sesuai SOP',
  'stpl.next.verify': 'Laporan diverifikasi petugas paling lambat {within} setelah diterima.',
  'stpl.next.dispatch': 'Laporan didisposisikan ke satuan yang berwenang paling lambat {within} setelah verifikasi.',
  'stpl.next.acknowledge': 'Satuan menerima disposisi paling lambat {within}.',
  'stpl.next.first_action': 'Tindakan pertama dilakukan paling lambat {within} setelah diterima satuan.',
  'stpl.next.resolve': 'Penanganan diselesaikan paling lambat {within}; pelapor dapat memantau setiap perkembangan.',
  'stpl.track': 'Pantau status laporan dengan memindai kode QR atau membuka:', 'stpl.qr': 'Kode QR tautan lacak',
  'stpl.110': 'Dalam keadaan darurat, segera telepon 110.', 'stpl.printed': 'Dicetak {when}. Dokumen ini dibuat oleh sistem Layanan Bantuan Polisi.',
  'stpl.m': '{n} menit', 'stpl.m1': '1 menit', 'stpl.h': '{n} jam', 'stpl.h1': '1 jam', 'stpl.d': '{n} hari', 'stpl.d1': '1 hari',
  'stpl.login': 'Masuk dulu di Konsol, lalu buka halaman ini lagi.', 'stpl.notfound': 'Kasus ini tidak ada atau bukan wewenang Anda.',
  'stpl.failed': 'STPL tidak dapat dibuat sekarang. Coba lagi.',
  'id.heading': 'Identitas petugas', 'id.full_name': 'Nama lengkap', 'id.pangkat': 'Pangkat', 'id.nrp': 'NRP', 'id.save': 'Simpan identitas', 'id.saved': 'Identitas tersimpan.',
  'id.invalid': 'Periksa isian: nama paling banyak 80 huruf, pangkat 40, NRP 8–18 angka.',
  // --- wilayah ---
  'wil.district': 'Kecamatan (boleh dikosongkan)', 'wil.village': 'Desa/Kelurahan (boleh dikosongkan)',
  'wil.district.short': 'Kecamatan', 'wil.village.short': 'Desa/Kelurahan',
  'wil.loading': 'Memuat daftar kecamatan…', 'wil.unavailable': 'Daftar kecamatan tidak dapat dimuat; ketik namanya saja.',
  'wil.attribution': 'Data wilayah: idn-area-data (kode Kemendagri), lisensi Open Database License (ODbL)',
  'wil.legend': 'Tanpa koordinat (jumlah, di kecamatan atau pusat kab./kota; titik perkiraan)',
  'code.unknown_district': 'Kecamatan tidak ditemukan di kabupaten/kota ini. Pilih dari daftar.',
  'code.unknown_village': 'Desa/kelurahan tidak ditemukan. Pilih dari daftar.',
  'code.ambiguous_place': 'Nama itu cocok dengan beberapa tempat. Pilih salah satu dari daftar.',
  'code.district_not_in_regency': 'Kecamatan itu berada di kabupaten/kota lain.',
  'code.village_not_in_district': 'Desa/kelurahan itu berada di kecamatan lain.',
};
const en = {
  'app.title': 'Police Help Service', 'app.polda': 'South Sumatra Regional Police', 'lang.switch': 'Bahasa Indonesia',
  'nav.report': 'Report', 'nav.track': 'Track a report', 'nav.konsol': 'Console', 'nav.pantau': 'Board',
  'nav.admin': 'Admin', 'nav.audit': 'Audit', 'nav.staff': 'Staff login', 'nav.logout': 'Log out', 'nav.main': 'Navigation',
  'foot.wa': 'WhatsApp Banpol: 0813-70002-110', 'foot.110': 'Emergency: 110',
  'call110': 'Emergency? Call 110',
  'cat.crime': 'Crime report', 'cat.information': 'Information', 'cat.feedback': 'Criticism and suggestions', 'cat.appreciation': 'Appreciation',
  'cat.crime.help': 'A crime that is happening or has happened: theft, robbery, assault, fraud.',
  'cat.information.help': 'Questions about police services: police certificate (SKCK), driving licence, lost documents, event permits.',
  'cat.feedback.help': 'Criticism of or suggestions for the police. Complaints about an officer go to Propam.',
  'cat.appreciation.help': 'Praise for a police unit or officer who helped you.',
  'f.heading': 'Report to the police', 'f.intro': 'Fill in the form below. Our officers read every report.',
  'f.category': 'Type of report', 'f.life': 'If a life is in danger, call 110 now. This form does not replace an emergency call.',
  'f.description': 'What happened?', 'f.description.hint': 'Say what, when and who was involved (at least 10 characters).',
  'f.where': 'Where?', 'f.regency': 'Regency/City', 'f.choose': '— choose —', 'f.address': 'Address or place',
  'f.gps': 'Use my location', 'f.gps.wait': 'Getting your location…', 'f.gps.ok': 'Location added', 'f.gps.fail': 'Your location could not be read. Give the address only.',
  'f.gps.clear': 'Remove location', 'f.who': 'About you', 'f.name': 'Your name', 'f.phone': 'Mobile number', 'f.phone.hint': 'For example 0812-3456-7890. An officer may call you back.',
  'f.submit': 'Send report', 'f.sending': 'Sending…', 'f.done': 'Report sent', 'f.ticket': 'Ticket number', 'f.token': 'Tracking code',
  'f.keep': 'Keep this ticket number and tracking code. You need both to see the status of your report.',
  'f.track': 'See the status', 'f.again': 'Send another report', 'f.fix': 'Please check the marked fields.',
  'err.required': 'Required.', 'err.category': 'Choose a type of report.', 'err.desc_short': 'Write at least 10 characters.',
  'err.too_long': 'Too long.', 'err.phone': 'Not a valid mobile number. For example 0812-3456-7890.', 'err.regency': 'Choose a regency or city from the list.',
  'err.address_short': 'Write at least 3 characters.', 'err.network': 'No connection. Check your connection and try again.',
  'err.rate': 'Too many reports from this device. Try again later.', 'err.invalid': 'Not valid.', 'err.server': 'Failed',
  'tr.heading': 'Track a report', 'tr.intro': 'Enter the ticket number and tracking code you received when you reported.',
  'tr.ticket': 'Ticket number', 'tr.token': 'Tracking code', 'tr.submit': 'Show status', 'tr.notfound': 'No such report. Check the ticket number and tracking code.',
  'tr.status': 'Status', 'tr.category': 'Type', 'tr.created': 'Reported', 'tr.updated': 'Updated', 'tr.notes': 'Notes from officers',
  'tr.nonotes': 'No notes yet.', 'tr.dup': 'This report repeats report', 'tr.dupstatus': 'whose status is',
  'tr.rate': 'Too many lookups from this device. Try again in a moment.',
  'st.new': 'New', 'st.verified': 'Verified', 'st.rejected': 'Rejected', 'st.dispatched': 'Dispatched', 'st.acknowledged': 'Acknowledged',
  'st.in_progress': 'In progress', 'st.resolved': 'Resolved', 'st.closed': 'Closed',
  'pr.emergency': 'Emergency', 'pr.high': 'High', 'pr.normal': 'Normal',
  'ch.web': 'Web', 'ch.phone': 'Call 110', 'ch.walk_in': 'Walk-in', 'ch.whatsapp': 'WhatsApp',
  'lg.heading': 'Staff login', 'lg.user': 'Username', 'lg.pass': 'Password', 'lg.submit': 'Log in', 'lg.bad': 'Wrong username or password.',
  'lg.locked': 'Too many attempts. Wait a moment and try again.', 'lg.pending': 'This account waits for a head of shift or leader to confirm it.', 'lg.role': 'Your role cannot open this page.',
  'ss.warn': 'Your session ends in {left} (at {at}). Save your work or stay signed in.', 'ss.stay': 'Stay signed in',
  'ss.ended.h': 'Session ended', 'ss.other': 'Log in as someone else',
  'ss.ended': 'Your session has ended. Enter your password to continue; the page, the open case and what you typed stay here.',
  'q.search': 'Search ticket, phone or words', 'q.status': 'Status', 'q.all_open': 'All open', 'q.category': 'Type', 'q.all': 'All',
  'q.lane': 'Lane', 'q.lane.main': 'Main', 'q.lane.blocked': 'Blocked numbers', 'q.lane.all': 'All', 'q.overdue': 'Overdue only',
  'q.call': 'Take a call', 'q.call.key': '(key N)', 'q.total': 'cases', 'q.page': 'Page', 'q.prev': 'Previous', 'q.next': 'Next',
  'q.empty': 'No cases.', 'q.live': 'Live', 'q.offline': 'Disconnected — reconnecting…', 'q.queue': 'Queue',
  'q.ticket': 'Ticket', 'q.what': 'Report', 'q.where': 'Area', 'q.deadline': 'Deadline', 'q.left': 'left', 'q.late': 'late',
  'q.suspect': 'Suspected prank', 'q.blocked': 'Blocked number', 'q.loading': 'Loading…',
  'snd.on': 'Sound: on', 'snd.off': 'Turn sound on', 'alert.crime': 'New crime report',
  'c.none': 'Choose a case from the queue.', 'c.reporter': 'Reporter', 'c.location': 'Location', 'c.coords': 'Coordinates', 'c.description': 'Description',
  'c.unit': 'Unit', 'c.suggested': 'Suggested unit', 'c.deadline': 'Deadline', 'c.prank': 'Prank score', 'c.record': 'Number history',
  'c.record.line': '{reports}, {verified} verified, {pranks} in the window', 'c.history': 'Case history', 'c.actions': 'Actions',
  'c.noactions': 'Your role can take no action on this case.', 'c.dupcands': 'Possible duplicates', 'c.done': 'Saved.',
  'c.channel': 'Channel', 'c.created': 'Reported', 'c.sop': 'SOP version', 'c.verification': 'Verification', 'c.reject_reason': 'Reject reason',
  'c.resolution': 'Outcome', 'c.unverified': 'Dispatched before verification', 'c.close': 'Close',
  'a.verify': 'Verify', 'a.reject': 'Reject', 'a.link_duplicate': 'Link as duplicate', 'a.dispatch': 'Dispatch', 'a.acknowledge': 'Acknowledge',
  'a.progress': 'Progress', 'a.resolve': 'Resolve', 'a.close': 'Close case', 'a.reopen': 'Reopen', 'a.note': 'Note',
  'a.method': 'How verified', 'a.priority': 'Priority', 'a.keep': '(keep)', 'a.reason': 'Reason', 'a.note_field': 'Note', 'a.unit': 'Unit',
  'a.summary': 'Summary of the outcome', 'a.text': 'Note', 'a.public': 'Show to the reporter', 'a.original': 'Original ticket',
  'm.callback_confirmed': 'Confirmed by calling back', 'm.scene_confirmed': 'Confirmed at the scene', 'm.not_reachable': 'Reporter not reachable',
  'r.prank': 'Prank', 'r.unverifiable': 'Unverifiable', 'r.duplicate': 'Duplicate', 'r.out_of_scope': 'Out of scope',
  'ev.reported': 'Reported', 'ev.verified': 'Verified', 'ev.rejected': 'Rejected', 'ev.duplicate_linked': 'Duplicate linked', 'ev.dispatched': 'Dispatched',
  'ev.acknowledged': 'Acknowledged', 'ev.progressed': 'Progress', 'ev.resolved': 'Resolved', 'ev.closed': 'Closed', 'ev.reopened': 'Reopened',
  'ev.noted': 'Note', 'ev.escalated': 'Escalated',
  'ct.heading': 'Take a 110 call or walk-in', 'ct.channel': 'Channel', 'ct.submit': 'Save report (Enter)', 'ct.cancel': 'Cancel (Esc)',
  'ct.help': 'Tab moves between fields, Enter saves, Ctrl+Enter inside the description.', 'ct.saved': 'Report saved', 'n.block': 'Block this number', 'n.lift': 'Lift the block', 'n.until': 'This number is blocked until', 'ct.name': 'Caller\'s name',
  'b.heading': 'Command Center', 'b.today': 'Reports today', 'b.open': 'Open cases', 'b.overdue': 'Overdue', 'b.escalations': 'Escalations today',
  'b.by_status': 'Today by status', 'b.by_category': 'Today by type', 'b.overdue_list': 'Overdue cases', 'b.escalated': 'Escalated cases',
  'b.units': 'Deadlines met per unit', 'b.map': 'Open cases on the map', 'b.sync': 'Post sync', 'b.nosync': 'Sync is not active on this node.', 'b.version': 'Version', 'b.nopeers': 'No other post is connected to this node yet.', 'b.probation': 'on probation', 'b.rollback': 'rolled back:',
  'b.node': 'Node', 'b.last': 'Last contact', 'b.backlog': 'Backlog', 'b.connected': 'Connected', 'b.disconnected': 'Disconnected', 'b.none': 'None.',
  'b.updated': 'Updated', 'b.rung': 'rung', 'b.share': 'met', 'b.map.note': 'Schematic: dots are regency seats; not for navigation.',
  'ad.heading': 'Users and roles', 'ad.add': 'Add a user', 'ad.user': 'Username', 'ad.role': 'Role', 'ad.unit': 'Unit (for a unit officer)',
  'ad.pass': 'Password (leave empty to generate)', 'ad.create': 'Add', 'ad.disable': 'Disable', 'ad.reset': 'Reset password',
  'ad.disabled': 'disabled', 'ad.active': 'active', 'ad.created': 'Created', 'ad.status': 'Status', 'ad.shown_once': 'Password for {user} (shown once):',
  'ad.pending': 'waiting for confirmation', 'ad.enable': 'Enable', 'ad.confirm_account': 'Confirm', 'ad.waits': 'waits for a head of shift or leader',
  'ad.pending_heading': 'Accounts waiting for confirmation', 'ad.pending_none': 'No account is waiting for confirmation.',
  'ad.pending_help': 'An account that the IT admin created or reset over the web, for a role that reads case contents, can log in only after a head of shift or leader of this node confirms it.',
  'ad.confirm': 'Are you sure?', 'ad.integrity': 'Check integrity', 'ad.int_ok': 'The hash chains hold.', 'ad.int_bad': 'Hash chains BROKEN — tell Itwasda.',
  'au.heading': 'Audit (read only)', 'au.cases': 'All cases', 'au.log': 'Access log', 'au.at': 'Time', 'au.actor': 'User', 'au.action': 'Action',
  'au.target': 'Target', 'au.from': 'From', 'au.chain_ok': 'Access log chain holds', 'au.chain_bad': 'Access log chain BROKEN',
  'role.operator': 'Operator', 'role.pa_siaga': 'Duty officer', 'role.ka_siaga': 'Head of shift', 'role.unit_officer': 'Unit officer', 'role.leader': 'Leader',
  'role.auditor': 'Auditor (Itwasda)', 'role.propam': 'Propam', 'role.tik_admin': 'IT admin',
  'step.verify': 'Verification', 'step.dispatch': 'Dispatch', 'step.acknowledge': 'Acknowledgement', 'step.first_action': 'First action', 'step.resolve': 'Resolution',
  // --- citizen form and public notes ---
  'ph.draft': 'Your draft report was restored from this device.', 'ph.draft.clear': 'Clear the form',
  'ph.count': '{n} / {max} characters', 'ph.too_long': 'Too long: {n} characters, at most {max}. Please shorten your text.',
  'ph.label': 'Photos (optional)', 'ph.hint': 'Up to 3 JPEG, PNG or WebP photos, each at most 5 MB.',
  'ph.remove': 'Remove', 'ph.bad': 'cannot be sent', 'ph.sending': 'Sending the report and photos…',
  'ph.err.photo_not_image': 'Photo {n} is not a JPEG, PNG or WebP image. Remove it and send again; your text is kept.',
  'ph.err.photo_too_large': 'Photo {n} is larger than 5 MB. Remove it or choose a smaller one; your text is kept.',
  'ph.err.too_many_photos': 'At most 3 photos go with one report. The others were not attached.',
  'ph.rate.phone': 'Too many reports from this mobile number in a short time. Try again in {wait} (around {at}). If a life is in danger, call 110.',
  'ph.rate.address': 'Too many reports from this network in a short time. Try again in {wait} (around {at}). If a life is in danger, call 110.',
  'ph.min': '{n} min', 'ph.sec': '{n} s', 'ph.next': 'What happens next?',
  'ph.next.check': 'An officer reviews your report and may call the mobile number you gave to confirm it.',
  'ph.next.crime': 'A crime report is passed to the police unit for the place where it happened, which follows it up.',
  'ph.next.other': 'Your report is passed to the responsible unit to be answered or followed up.',
  'ph.next.track': 'Follow its status on the Track report page with the ticket number and tracking code; notes from officers for you appear there with their time.',
  'ph.next.110': 'If things get worse or a life is in danger, do not wait: call 110.',
  'ph.photos': 'Photos from the reporter', 'ph.alt': 'Photo {n} from the reporter', 'ph.public': 'Show to the reporter on the Track page',
  'ph.err.photos_busy': 'Many reports with photos are arriving at once. Wait a few seconds and press Send again; your entries are kept.',
  // --- lang (issue 13: one language at a time; admin and audit) ---
  // the text of every API error `code` (tests/it/i18n.rs checks each code of the Rust side has one)
  'code.photo_not_image': 'That photo is not a JPEG, PNG or WebP image.',
  'code.photo_too_large': 'That photo is larger than 5 MB.',
  'code.too_many_photos': 'At most 3 photos go with one report.',
  'code.photos_busy': 'Many reports with photos are arriving. Wait a few seconds and send again.',
  'code.account_pending': 'This account waits for a head of shift or leader to confirm it.',
  'code.already_blocked': 'This number is already blocked.',
  'code.already_enabled': 'This account is already enabled.',
  'code.already_verified': 'This case is already verified.',
  'code.bad_body': 'The request could not be read. Reload the page and try again.',
  'code.bad_credentials': 'Wrong username or password.',
  'code.bad_join_token': 'The join token is malformed. Copy it exactly as it was given.',
  'code.bad_node_code': 'Not a valid node code.',
  'code.bad_origin': 'Refused: the request did not come from this site. Reload the page.',
  'code.bad_query': 'The request address is not valid.',
  'code.bad_signature': 'The message signature does not match.',
  'code.bad_username': 'Username: 2–32 lower-case letters, digits, dots, underscores or hyphens, starting with a letter.',
  'code.bad_verify_token': 'The verify token does not match.',
  'code.certificate_refused': 'The certificate could not be issued.',
  'code.chain_broken': 'Hash chain BROKEN — tell Itwasda.',
  'code.csrf_mismatch': 'This page is out of date. Reload the page and try again.',
  'code.csrf_missing': 'This page is out of date. Reload the page and try again.',
  'code.duplicate_of_duplicate': 'That original is itself a duplicate. Link to the first report.',
  'code.feed_refused': 'The sync data was refused.',
  'code.forbidden': 'Access refused.',
  'code.internal': 'Something went wrong on the server. Try again; if it happens again, call Bid TIK with code {id}.',
  'code.invalid_date': 'Not a valid date.',
  'code.invalid_field': 'Not valid.',
  'code.invalid_phone': 'Not a valid mobile number. For example 0812-3456-7890.',
  'code.invalid_transition': 'This action does not fit the case\'s current status. Open the case again.',
  'code.join_token_refused': 'This join token is unknown, used or expired. Ask for a new one.',
  'code.last_admin': 'This is the last active IT admin. Add another one first.',
  'code.malformed_json': 'The request is not valid. Reload the page and try again.',
  'code.method_not_allowed': 'This request is not supported.',
  'code.missing_field': 'Required.',
  'code.no_demo_unit': 'This node has no unit for demo cases.',
  'code.no_such_route': 'No such address.',
  'code.no_such_user': 'No such user.',
  'code.not_blocked': 'This number is not blocked.',
  'code.not_executable': 'This command cannot be run.',
  'code.not_found': 'Not found.',
  'code.not_owner': 'Another node handles this case; here you can only add a note.',
  'code.not_pending': 'This account is not waiting for a confirmation.',
  'code.password_too_short': 'The password is too short.',
  'code.payload_too_large': 'What was sent is too large.',
  'code.rate_limited': 'Too many requests from this device. Try again later.',
  'code.reason_required': 'Give a reason.',
  'code.release_refused': 'The release was refused: its signature or contents are not valid.',
  'code.role_may_not': 'Your role cannot do this.',
  'code.self_disable': 'You cannot disable your own account. Ask another IT admin.',
  'code.self_invite': 'A node cannot invite itself.',
  'code.session_expired': 'Your session has ended. Log in again.',
  'code.store_unavailable': 'The save could not be confirmed. Try again in a moment.',
  'code.throttled': 'Too many logins are being checked at once. Try again in a moment.',
  'code.too_many_attempts': 'Too many attempts. Wait a moment and try again.',
  'code.unauthenticated': 'Please log in first.',
  'code.unit_not_allowed': 'This role is not tied to a unit; leave the unit empty.',
  'code.unit_required': 'A unit officer needs a unit. Choose one.',
  'code.unknown_action': 'Unknown action.',
  'code.unknown_category': 'Choose a type of report.',
  'code.unknown_node': 'That node is not in the units directory.',
  'code.unknown_original': 'The original report was not found.',
  'code.unknown_regency': 'Choose a regency or city from the list.',
  'code.unknown_reject_reason': 'Unknown reject reason.',
  'code.unknown_role': 'Unknown role.',
  'code.unknown_unit': 'Unknown unit.',
  'code.unknown_verify_method': 'Unknown way of verifying.',
  'code.unsupported_media_type': 'This content type is not supported.',
  'code.upload_in_progress': 'Another upload is under way. Try again later.',
  'code.user_exists': 'This username is taken.',
  // access-log actions (audit page)
  'aa.login': 'Logged in', 'aa.login_failed': 'Failed login', 'aa.login_locked': 'Login locked for a while',
  'aa.login_pending': 'Login refused: account waits for confirmation', 'aa.user_add': 'User added',
  'aa.user_passwd': 'Password changed', 'aa.user_disable': 'Account disabled', 'aa.user_enable': 'Account re-enabled',
  'aa.user_confirm': 'Account confirmed', 'aa.node_invite': 'Node invited', 'aa.node_new_epoch': 'Node began a new epoch',
  'aa.read_photo': 'Viewed a report photo', 'aa.user_identity': 'Set an officer\'s identity', 'aa.read_queue': 'Read the queue', 'aa.read_case': 'Opened a case', 'aa.read_reporter': 'Read a number\'s history',
  'aa.block_number': 'Number blocked', 'aa.lift_block': 'Block lifted', 'aa.verify_integrity': 'Integrity check',
  'aa.export_access_log': 'Access log exported', 'aa.release_publish_attempt': 'Release publish attempted', 'aa.release_publish': 'Release published',
  // prank score reasons, by factor ({n}, {ticket}, {pct}, {coords} from the server's detail)
  'pf.blocked': 'this number is blocked', 'pf.confirmed_pranks': 'confirmed pranks in the window: {n}',
  'pf.burst': 'reports from this number in a short time: {n}', 'pf.duplicate_same_reporter': 'this number already has an open report {ticket}',
  'pf.duplicate_similar_text': '{pct}% like open report {ticket} in the same area',
  'pf.no_coordinates': 'no location coordinates', 'pf.outside_territory': 'coordinates ({coords}) outside the Polda\'s territory',
  'pf.empty_description': 'the description says nothing',
  'c.actor_citizen': 'reporter', 'c.actor_system': 'system {node}',
  // counts (Intl.PluralRules: English has one and other)
  'q.count.one': '{n} case', 'q.count.other': '{n} cases', 'n.reports.one': '{n} report', 'n.reports.other': '{n} reports',
  'n.pranks.one': '{n} prank', 'n.pranks.other': '{n} pranks',
  // admin: confirmations, re-enabling
  'ad.confirm_disable': 'Disable the account {user}? All its sessions end and it cannot log in until it is enabled again.',
  'ad.confirm_reset': 'Reset the password of {user}? The old password stops working and all its sessions end.',
  'ad.confirm_enable': 'Enable the account {user} again? Its password stays what it was before it was disabled.',
  'ad.yes_disable': 'Yes, disable', 'ad.yes_reset': 'Yes, reset', 'ad.yes_enable': 'Yes, enable', 'ad.cancel': 'Cancel',
  'ad.done_disable': 'The account {user} is disabled.', 'ad.done_enable': 'The account {user} is enabled again.', 'ad.you': '(you)',
  'ad.int_events.one': '{n} event checked', 'ad.int_events.other': '{n} events checked',
  // audit: filters and export
  'au.filters': 'Filter the access log', 'au.f_actor': 'User', 'au.f_action': 'Action', 'au.f_ticket': 'Ticket', 'au.f_from': 'From date',
  'au.f_to': 'To date', 'au.f_any': 'All', 'au.f_apply': 'Apply', 'au.f_clear': 'Clear filters', 'au.csv': 'Download CSV',
  'au.shown.one': '{n} entry shown', 'au.shown.other': '{n} entries shown (newest first)', 'au.dates_wib': 'Dates and times in WIB.',
  // --- console (issue 13: call-taker form, console layout, dark theme) ---
  'm.caller_on_line': 'Confirmed: caller on the line', 'ct.save': 'Save (Ctrl+Enter)', 'ct.dispatch': 'Save & dispatch (Ctrl+Shift+Enter)',
  'ct.keys': 'Tab or Enter moves to the next field; Ctrl+Enter saves. Emergency: Save & dispatch records the verification by the caller on the line and opens the unit picker.',
  'ct.fix': 'Please check the marked fields.', 'ct.verify_failed': 'The report is saved, but the verification was not recorded.',
  'c.next': 'Next step', 'c.saved': 'Saved {at}: {what}', 'c.dispatched_to': 'Dispatched to {unit}', 'c.redispatch': 'Dispatch again',
  'c.back': '← Back to the queue', 'c.call': 'Call {phone}', 'q.unread': 'Not opened', 'alert.unread': 'New crime reports not yet opened',
  'snd.rings': 'The sound repeats every 30 seconds until the case is opened.', 'theme.dark': 'Dark mode', 'theme.light': 'Light mode',
  // --- wall board and paper (STPL) ---
  'bw.fullscreen': 'Full screen', 'bw.fullscreen_exit': 'Leave full screen', 'bw.more': '+{n} more',
  'bw.unlocated': 'No coordinates (count, at the regency seat)', 'bw.alarm': 'Overdue / escalated',
  'bw.map_note': 'Schematic: regency seats are approximate; not for navigation.',
  'bw.nopeers': 'No post is connected to this node yet.',
  'stpl.button': 'Print STPL', 'stpl.print': 'Print', 'stpl.print_hint': 'A4 paper. The officer signs below once printed.',
  'stpl.kop1': 'INDONESIAN NATIONAL POLICE', 'stpl.title': 'REPORT RECEIPT (STPL)', 'stpl.number': 'Number:',
  'stpl.intro': 'On {when} the following report was received.',
  'stpl.ticket': 'Ticket number', 'stpl.token': 'Tracking code', 'stpl.token_unknown': 'given to the reporter when the report was received',
  'stpl.received': 'Received', 'stpl.channel': 'Channel', 'stpl.category': 'Type of report', 'stpl.regency': 'Regency/city',
  'stpl.reporter': 'Reporter', 'stpl.address': 'Address of the incident', 'stpl.what': 'The report',
  'stpl.what_none': 'The report is kept in the system and can be read by officers.',
  'stpl.ch.web': 'the web form', 'stpl.ch.whatsapp': 'WhatsApp Banpol', 'stpl.ch.phone': 'a 110 call', 'stpl.ch.walk_in': 'a visit to the post',
  'stpl.by_channel': 'Received through {channel}', 'stpl.received_by': 'Received by,',
  'stpl.next': 'What happens next under the SOP',
  'stpl.next.verify': 'An officer verifies the report within {within} of receiving it.',
  'stpl.next.dispatch': 'The report is dispatched to the responsible unit within {within} of verification.',
  'stpl.next.acknowledge': 'The unit acknowledges the dispatch within {within}.',
  'stpl.next.first_action': 'The first action is taken within {within} of the unit acknowledging it.',
  'stpl.next.resolve': 'The case is resolved within {within}; the reporter can follow every step.',
  'stpl.track': 'Follow the report by scanning the QR code or opening:', 'stpl.qr': 'QR code of the tracking link',
  'stpl.110': 'In an emergency, call 110 at once.', 'stpl.printed': 'Printed {when}. This document was made by the police help service system.',
  'stpl.m': '{n} minutes', 'stpl.m1': '1 minute', 'stpl.h': '{n} hours', 'stpl.h1': '1 hour', 'stpl.d': '{n} days', 'stpl.d1': '1 day',
  'stpl.login': 'Log in on the Console first, then open this page again.', 'stpl.notfound': 'This case does not exist or is not yours to see.',
  'stpl.failed': 'The STPL cannot be made right now. Try again.',
  'id.heading': 'Officer identity', 'id.full_name': 'Full name', 'id.pangkat': 'Rank (pangkat)', 'id.nrp': 'NRP', 'id.save': 'Save identity', 'id.saved': 'Identity saved.',
  'id.invalid': 'Check the fields: name at most 80 characters, rank 40, NRP 8–18 digits.',
  // --- wilayah ---
  'wil.district': 'Kecamatan (district, optional)', 'wil.village': 'Desa/Kelurahan (village, optional)',
  'wil.district.short': 'Kecamatan', 'wil.village.short': 'Village',
  'wil.loading': 'Loading the kecamatan list…', 'wil.unavailable': 'The kecamatan list cannot be loaded; just type the name.',
  'wil.attribution': 'Area data: idn-area-data (Kemendagri codes), Open Database License (ODbL)',
  'wil.legend': 'No coordinates (count, at the kecamatan or regency seat; approximate points)',
  'code.unknown_district': 'No such kecamatan in this regency. Choose one from the list.',
  'code.unknown_village': 'No such village. Choose one from the list.',
  'code.ambiguous_place': 'That name fits several places. Choose one from the list.',
  'code.district_not_in_regency': 'That kecamatan is in another regency.',
  'code.village_not_in_district': 'That village is in another kecamatan.',
};
export const lang = (() => {
  try { return localStorage.getItem('banpol.lang') === 'en' ? 'en' : 'id'; } catch { return 'id'; }
})();
const dict = lang === 'en' ? en : id;

/** The text for `key` in the current language; `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const s = dict[key] ?? id[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** Fills every data-i18n element under `root`, and wires the language switch. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  // the tab's title, e.g. "Konsol — Layanan Bantuan Polisi": its parts are texts of the table
  const back = (p) => { const k = Object.keys(id).find((x) => /^(nav|app)\./.test(x) && id[x] === p); return k ? t(k) : p; };
  document.title = document.title.split(' — ').map((s) => s.split(', ').map(back).join(', ')).join(' — ');
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-ph]')) e.placeholder = t(e.dataset.i18nPh);
  for (const e of root.querySelectorAll('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset.i18nLabel));
  const sw = document.getElementById('lang');
  if (sw && !sw.dataset.wired) {
    sw.dataset.wired = '1';
    sw.textContent = t('lang.switch');
    sw.lang = lang === 'en' ? 'id' : 'en';
    sw.addEventListener('click', () => {
      try { localStorage.setItem('banpol.lang', lang === 'en' ? 'id' : 'en'); } catch { /* private mode */ }
      location.reload();
    });
  }
}

// --- lang (issue 13): shared helpers for errors, dates, plurals and server-made texts ---

/** Whether `key` has a text in the current language (or in Indonesian). */
export const has = (key) => key in dict || key in id;

/** The text for an API error, by its stable `code`; never the server's English `message`, which
 * stays for logs and API clients. `data`: the error body (`{ code, message }`), `status`: the
 * HTTP status (0: no connection). An unknown code shows the generic failure and the status. */
export function errText(data, status) {
  const code = data && data.code;
  if (status === 0 || code === 'network') return t('err.network');
  if (code && has(`code.${code}`)) {
    const ref = /error id ([0-9a-f]+)/.exec((data && data.message) || '');
    return t(`code.${code}`, { id: ref ? ref[1] : '' });
  }
  return `${t('err.server')} (${status || code || '?'})`;
}

export const LOCALE = lang === 'en' ? 'en-GB' : 'id-ID';
const formats = new Map();
function format(opts) {
  const k = JSON.stringify(opts);
  if (!formats.has(k)) formats.set(k, new Intl.DateTimeFormat(LOCALE, { timeZone: 'Asia/Jakarta', ...opts }));
  return formats.get(k);
}

/** A time (RFC 3339 or a Date) as a WIB date and time in the chosen language, e.g.
 * "2 Des 2026 15.04 WIB" / "2 Dec 2026, 15:04 WIB"; `seconds`: to the second; `date: false`:
 * the time only. */
export function fmtDate(when, { seconds = false, date = true } = {}) {
  if (!when) return '—';
  const d = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(d.getTime())) return '—';
  const opts = { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}),
    ...(date ? { day: 'numeric', month: 'short', year: 'numeric' } : {}) };
  return `${format(opts).format(d)} WIB`;
}

const plurals = new Intl.PluralRules(LOCALE);
/** A count with its noun in the chosen language: `tn('n.reports', 1)` is "1 laporan" / "1 report";
 * keys `<key>.one`, `<key>.other` (Intl.PluralRules categories), `{n}` the number. */
export function tn(key, n, vars = {}) {
  const k = `${key}.${plurals.select(n)}`;
  return t(has(k) ? k : `${key}.other`, { ...vars, n: n.toLocaleString(LOCALE) });
}

/** An access-log action (`read_case`, `user_passwd`, ...) in the chosen language. */
export const actionText = (a) => (has(`aa.${a}`) ? t(`aa.${a}`) : a);

/** Who wrote a case event: the server names the reporter "pelapor" and the system "sistem NODE". */
export function actorText(actor) {
  if (actor === 'pelapor') return t('c.actor_citizen');
  const m = /^sistem (.+)$/.exec(actor || '');
  return m ? t('c.actor_system', { node: m[1] }) : actor;
}

/** A prank-score reason in the chosen language, by its `factor`; the figures come from the
 * server's detail (count, ticket, percentage, coordinates). */
export function prankReason(r) {
  if (!has(`pf.${r.factor}`)) return r.detail;
  const d = r.detail || '';
  return t(`pf.${r.factor}`, {
    n: (/^(\d+)/.exec(d) || [])[1], pct: (/(\d+)%/.exec(d) || [])[1],
    ticket: (/[A-Z0-9]+-\d{6}-\d{4}/.exec(d) || [])[0], coords: (/\(([^)]*)\)/.exec(d) || [])[1],
  });
}
